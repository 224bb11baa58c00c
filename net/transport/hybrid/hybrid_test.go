package hybrid_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/hybrid"
)

func TestContract(t *testing.T) {
	gossiptest.Check(t)
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		return hybrid.New("127.0.0.1:0"), hybrid.New("127.0.0.1:0")
	}, gossiptest.Features{Streams: true, ExactFrom: true})
}

func TestSamePortAndAdvertise(t *testing.T) {
	gossiptest.Check(t)
	tr := hybrid.New("127.0.0.1:0", transport.WithAdvertise("10.1.2.3"))
	if tr.Port() != 0 {
		t.Fatal("port before Start")
	}
	gossiptest.StartTransport(t, tr)
	if tr.Port() == 0 {
		t.Fatal("port 0 after Start")
	}
	if want := "10.1.2.3:" + strconv.Itoa(tr.Port()); tr.Addr() != want {
		t.Fatalf("Addr %q, want %q", tr.Addr(), want)
	}
	// Both protocols are bound on that port.
	local := net.JoinHostPort("127.0.0.1", strconv.Itoa(tr.Port()))
	if _, err := net.Listen("tcp", local); err == nil {
		t.Fatal("TCP port not bound")
	}
	if _, err := net.ListenPacket("udp", local); err == nil {
		t.Fatal("UDP port not bound")
	}
	if s := tr.Stats(); s.PacketsIn != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBindErrors(t *testing.T) {
	for _, bind := range []string{"nocolon", "256.1.1.1:0"} {
		tr := hybrid.New(bind)
		if err := tr.Start(context.Background(), gossiptest.NewSink()); err == nil {
			t.Errorf("Start(%q) succeeded", bind)
		}
		tr.Close()
	}
	// TCP port taken, UDP free, fixed port: a clear error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tr := hybrid.New(ln.Addr().String())
	if err := tr.Start(context.Background(), nil); err == nil {
		t.Fatal("Start with a nil handler succeeded")
	}
	if err := tr.Start(context.Background(), gossiptest.NewSink()); err == nil {
		t.Fatal("Start on a taken TCP port succeeded")
	}
	tr.Close()
}

func TestIPv6(t *testing.T) {
	gossiptest.Check(t)
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("IPv6 loopback unavailable: %v", err)
	}
	ln.Close()
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		return hybrid.New("[::1]:0"), hybrid.New("[::1]:0")
	}, gossiptest.Features{Streams: true, ExactFrom: true})
}
