package limit_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/net/limit"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/hybrid"
)

func TestContract(t *testing.T) {
	gossiptest.Check(t)
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		return limit.Wrap(hybrid.New("127.0.0.1:0"), limit.WithInbound(1000, 100)),
			limit.Wrap(hybrid.New("127.0.0.1:0"), limit.WithOutbound(1000, 100))
	}, gossiptest.Features{Streams: true, ExactFrom: true})
}

func start(t *testing.T, opts ...limit.Option) (*limit.Transport, *gossiptest.Sink) {
	c := stats.New()
	tr := limit.Wrap(hybrid.New("127.0.0.1:0", transport.WithCounters(c)), append([]limit.Option{limit.WithCounters(c)}, opts...)...)
	return tr, gossiptest.StartTransport(t, tr)
}

func TestOutbound(t *testing.T) {
	gossiptest.Check(t)
	a, _ := start(t, limit.WithOutbound(rate.Every(time.Hour), 3))
	b, _ := start(t)
	for i := range 3 {
		if err := a.WritePacket(context.Background(), b.Addr(), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.WritePacket(context.Background(), b.Addr(), []byte{9}); !errors.Is(err, limit.ErrRateLimited) {
		t.Fatalf("fourth packet: %v, want ErrRateLimited", err)
	}
	if n := a.Stats().Dropped(stats.RateLimit); n != 1 {
		t.Fatalf("%d rate-limit drops, want 1", n)
	}
}

// TestInboundPerSource: a flooding source is cut to its budget while a
// well-behaved one still gets through.
func TestInboundPerSource(t *testing.T) {
	gossiptest.Check(t)
	b, sb := start(t, limit.WithInbound(rate.Every(time.Hour), 5), limit.WithMaxSources(2))
	flood, err := net.Dial("udp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	for range 200 {
		flood.Write([]byte("flood"))
	}
	gossiptest.Eventually(t, "the flood to be cut", func() bool {
		s := b.Stats()
		return s.Dropped(stats.RateLimit) > 0 && s.PacketsIn == s.Dropped(stats.RateLimit)+5
	})
	good, _ := start(t)
	if err := good.WritePacket(context.Background(), b.Addr(), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := 0
	for got < 6 {
		p := gossiptest.Recv(t, sb)
		got++
		if string(p.Data) == "hello" {
			break
		}
	}
	if got != 6 {
		t.Fatalf("good packet was packet %d, want 6 (5 flood packets first)", got)
	}
	third, _ := net.Dial("udp", b.Addr())
	defer third.Close()
	third.Write([]byte("x"))
	gossiptest.Recv(t, sb)
	if b.Sources() != 2 {
		t.Fatalf("tracking %d sources, want 2", b.Sources())
	}
}
