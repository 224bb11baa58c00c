package udp_test

import (
	"context"
	"net"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/net/transport/udp"
)

// BenchmarkReceive measures packets per second through the full receive
// path (socket read, copy, handler call) on loopback.
func BenchmarkReceive(b *testing.B) {
	tr := udp.New("127.0.0.1:0")
	sink := gossiptest.NewSink()
	if err := tr.Start(context.Background(), sink); err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	src, err := net.Dial("udp", tr.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	pkt := make([]byte, 200)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	received := 0
	for b.Loop() {
		// One packet in flight at a time, so loopback never overflows.
		if _, err := src.Write(pkt); err != nil {
			b.Fatal(err)
		}
		<-sink.Packets()
		received++
	}
	b.ReportMetric(float64(received)/b.Elapsed().Seconds(), "packets/s")
}
