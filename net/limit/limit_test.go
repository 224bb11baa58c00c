package limit_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/internal/leakcheck"
	"github.com/libgossip/libgossip/net/limit"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/hybrid"
	"github.com/libgossip/libgossip/net/transport/transporttest"
)

func TestContract(t *testing.T) {
	leakcheck.Check(t)
	transporttest.Run(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		return limit.Wrap(hybrid.New("127.0.0.1:0"), limit.WithInbound(1000, 100)),
			limit.Wrap(hybrid.New("127.0.0.1:0"), limit.WithOutbound(1000, 100))
	}, transporttest.Features{Streams: true, ExactFrom: true})
}

func start(t *testing.T, opts ...limit.Option) *limit.Transport {
	c := stats.New()
	tr := limit.Wrap(hybrid.New("127.0.0.1:0", transport.WithCounters(c)), append([]limit.Option{limit.WithCounters(c)}, opts...)...)
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestOutbound(t *testing.T) {
	leakcheck.Check(t)
	a := start(t, limit.WithOutbound(rate.Every(time.Hour), 3))
	b := start(t)
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
	leakcheck.Check(t)
	b := start(t, limit.WithInbound(rate.Every(time.Hour), 5), limit.WithMaxSources(2))
	flood, err := net.Dial("udp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	for range 200 {
		flood.Write([]byte("flood"))
	}
	transporttest.Eventually(t, "the flood to be cut", func() bool {
		s := b.Stats()
		return s.Dropped(stats.RateLimit) > 0 && s.PacketsIn == s.Dropped(stats.RateLimit)+5+s.Dropped(stats.Overflow)
	})
	good := start(t)
	if err := good.WritePacket(context.Background(), b.Addr(), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := 0
	for got < 6 {
		p := transporttest.Recv(t, b)
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
	transporttest.Recv(t, b)
	if b.Sources() != 2 {
		t.Fatalf("tracking %d sources, want 2", b.Sources())
	}
}
