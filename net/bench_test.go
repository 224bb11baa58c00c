package net_test

import (
	"context"
	"testing"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/gossip/gossiptest"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
)

// BenchmarkPacketStack measures one packet at a time through the whole
// stack New builds with encryption, a label and an inbound limit: seal,
// UDP send and receive on loopback, rate check, open, hand to the Handler.
func BenchmarkPacketStack(b *testing.B) {
	k, _ := security.GenerateKey(32)
	keys, _ := security.NewKeyring(k)
	opts := []lgnet.Option{lgnet.WithKeyring(keys), lgnet.WithLabel("bench"), lgnet.WithInboundLimit(rate.Inf, 1)}
	src, err := lgnet.New("udp://127.0.0.1:0", opts...)
	if err != nil {
		b.Fatal(err)
	}
	dst, err := lgnet.New("udp://127.0.0.1:0", opts...)
	if err != nil {
		b.Fatal(err)
	}
	gossiptest.StartTransport(b, src)
	sink := gossiptest.StartTransport(b, dst)
	pkt := make([]byte, 200)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := src.WritePacket(ctx, dst.Addr(), pkt); err != nil {
			b.Fatal(err)
		}
		<-sink.Packets()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}
