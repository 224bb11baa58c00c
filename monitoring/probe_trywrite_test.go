package monitoring_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/monitoring"
)

// tryTransport offers gossip.PacketTryWriter over a memnet transport and
// counts the packets sent through it.
type tryTransport struct {
	gossip.Transport
	tries atomic.Int64
}

func (t *tryTransport) TryWritePacket(addr string, b []byte) error {
	t.tries.Add(1)
	return t.Transport.WritePacket(context.Background(), addr, b)
}

// TestProbeTimerTryWrite checks that the probe timer's middleware passes
// gossip.PacketTryWriter through when the inner transport offers it (so
// the Node still writes packets without a sender hop), refuses when it
// does not, and still times probes sent that way.
func TestProbeTimerTryWrite(t *testing.T) {
	net := memnet.New(7)
	plain := monitoring.NewProbeTimer().Middleware(net.Transport("plain"))
	if tw, ok := plain.(gossip.PacketTryWriter); !ok {
		t.Fatal("the middleware hides TryWritePacket")
	} else if err := tw.TryWritePacket("x", []byte{1}); !errors.Is(err, gossip.ErrWouldBlock) {
		t.Fatalf("over a transport without TryWritePacket: %v, want ErrWouldBlock", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var nodes []*gossip.Node
	var inner []*tryTransport
	var timers []*monitoring.ProbeTimer
	defer func() {
		for _, n := range nodes {
			_ = n.Shutdown(context.Background())
		}
	}()
	for i := range 2 {
		cfg := gossip.LocalConfig()
		cfg.ID = fmt.Sprintf("node-%d", i+1)
		tt := &tryTransport{Transport: net.Transport(cfg.ID)}
		pt := monitoring.NewProbeTimer()
		n, err := gossip.New(cfg, pt.Middleware(tt), gossip.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		nodes, inner, timers = append(nodes, n), append(inner, tt), append(timers, pt)
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if err := n.Join(ctx, nodes[0].LocalNode().Addr); err != nil {
				t.Fatal(err)
			}
		}
	}
	mon, err := monitoring.Instrument(nodes[0], monitoring.WithProbeTimer(timers[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	gossiptest.WaitFor(t, 20*time.Second, "node-1 times a probe to node-2", func() bool {
		_, ok := mon.ProbeRTT("node-2")
		return ok
	})
	if inner[0].tries.Load() == 0 {
		t.Error("no packet went through TryWritePacket")
	}
}
