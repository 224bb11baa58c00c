package udp_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/udp"
)

func pair(t *testing.T) (gossip.Transport, gossip.Transport) {
	return udp.New("127.0.0.1:0"), udp.New("127.0.0.1:0")
}

func TestContract(t *testing.T) {
	gossiptest.Check(t)
	gossiptest.RunTransport(t, pair, gossiptest.Features{ExactFrom: true})
}

func TestNoStreams(t *testing.T) {
	gossiptest.Check(t)
	tr := udp.New("127.0.0.1:0")
	defer tr.Close()
	if _, err := tr.DialStream(context.Background(), "127.0.0.1:1"); !errors.Is(err, transport.ErrNoStreams) {
		t.Fatalf("DialStream: %v, want ErrNoStreams", err)
	}
	if tr.LocalAddr() != nil || tr.Addr() != "" {
		t.Fatal("addresses set before Start")
	}
}

func TestOversizeInboundAndEmpty(t *testing.T) {
	gossiptest.Check(t)
	c := stats.New()
	tr := udp.New("127.0.0.1:0", transport.WithPacketSize(100), transport.WithCounters(c))
	sink := gossiptest.StartTransport(t, tr)
	raw, err := net.Dial("udp", tr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write(make([]byte, 101))
	raw.Write(nil)
	raw.Write([]byte("ok"))
	if p := gossiptest.Recv(t, sink); string(p.Data) != "ok" {
		t.Fatalf("got %q", p.Data)
	}
	s := tr.Stats()
	if s.Dropped(stats.Oversize) != 1 || s.Dropped(stats.Decode) != 1 || s.PacketsIn != 1 {
		t.Fatalf("stats %+v: want 1 oversize, 1 decode, 1 in", s)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"127.0.0.1:80", "127.0.0.1:80", false},
		{"[::1]:80", "[::1]:80", false},
		{"[::ffff:127.0.0.1]:80", "127.0.0.1:80", false},
		{"localhost:80", "", false},
		{"nocolon", "", true},
		{"localhost:notaport", "", true},
		{"no-such-host.invalid:80", "", true},
	} {
		got, err := udp.Resolve(ctx, tc.in)
		if (err != nil) != tc.err {
			t.Errorf("Resolve(%q) error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if tc.want != "" && got.String() != tc.want {
			t.Errorf("Resolve(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if err != nil && !errors.Is(err, transport.ErrAddress) {
			t.Errorf("Resolve(%q) error %v does not wrap ErrAddress", tc.in, err)
		}
	}
}

func TestBadBind(t *testing.T) {
	tr := udp.New("256.0.0.1:0")
	defer tr.Close()
	if err := tr.Start(context.Background(), nil); err == nil {
		t.Fatal("Start with a nil handler succeeded")
	}
	if err := tr.Start(context.Background(), gossiptest.NewSink()); err == nil {
		t.Fatal("Start on a bad address succeeded")
	}
}

func TestIPv6(t *testing.T) {
	gossiptest.Check(t)
	ln, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("IPv6 loopback unavailable: %v", err)
	}
	ln.Close()
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		return udp.New("[::1]:0"), udp.New("[::1]:0")
	}, gossiptest.Features{ExactFrom: true})
}

// TestTryWriteSends: on the platforms with non-blocking sends, a packet
// to a literal address goes out through TryWritePacket and is counted; a
// host name is refused with ErrWouldBlock, for WritePacket to resolve.
func TestTryWriteSends(t *testing.T) {
	gossiptest.Check(t)
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
	default:
		t.Skipf("no non-blocking sends on %s", runtime.GOOS)
	}
	c := stats.New()
	a := udp.New("127.0.0.1:0", transport.WithCounters(c))
	gossiptest.StartTransport(t, a)
	b := udp.New("127.0.0.1:0")
	sb := gossiptest.StartTransport(t, b)
	if err := a.TryWritePacket(b.Addr(), []byte("hi")); err != nil {
		t.Fatalf("TryWritePacket(%s): %v", b.Addr(), err)
	}
	if p := gossiptest.Recv(t, sb); string(p.Data) != "hi" || p.From != a.Addr() {
		t.Fatalf("got %q from %s, want \"hi\" from %s", p.Data, p.From, a.Addr())
	}
	if s := a.Stats(); s.PacketsOut != 1 {
		t.Fatalf("PacketsOut = %d, want 1", s.PacketsOut)
	}
	_, port, _ := net.SplitHostPort(b.Addr())
	if err := a.TryWritePacket(net.JoinHostPort("localhost", port), []byte("x")); !errors.Is(err, gossip.ErrWouldBlock) {
		t.Fatalf("TryWritePacket to a host name: %v, want ErrWouldBlock", err)
	}
}
