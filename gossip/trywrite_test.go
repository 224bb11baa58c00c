package gossip_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// tryTransport offers gossip.PacketTryWriter over another transport: it
// refuses (ErrWouldBlock) packets to the refused addresses and sends the
// others at once, counting which path each packet took.
type tryTransport struct {
	gossip.Transport

	mu     sync.Mutex
	refuse map[string]bool

	tried   atomic.Uint64 // packets sent by TryWritePacket
	refused atomic.Uint64 // packets TryWritePacket refused
	written atomic.Uint64 // packets sent by WritePacket
}

func newTryTransport(inner gossip.Transport, refuse ...string) *tryTransport {
	t := &tryTransport{Transport: inner, refuse: map[string]bool{}}
	for _, a := range refuse {
		t.refuse[a] = true
	}
	return t
}

var _ gossip.PacketTryWriter = (*tryTransport)(nil)

func (t *tryTransport) TryWritePacket(addr string, b []byte) error {
	t.mu.Lock()
	refused := t.refuse[addr]
	t.mu.Unlock()
	if refused {
		t.refused.Add(1)
		return gossip.ErrWouldBlock
	}
	t.tried.Add(1)
	// memnet delivers to a handler that never blocks.
	return t.Transport.WritePacket(context.Background(), addr, b)
}

func (t *tryTransport) WritePacket(ctx context.Context, addr string, b []byte) error {
	t.written.Add(1)
	return t.Transport.WritePacket(ctx, addr, b)
}

// TestInlinePacketWrites: over a transport that offers PacketTryWriter,
// the Node sends every packet with TryWritePacket (none through the
// senders' WritePacket) and the cluster forms and probes as usual; packets
// to a destination the transport refuses go through WritePacket instead,
// and that member is probed without being suspected.
func TestInlinePacketWrites(t *testing.T) {
	gossiptest.Check(t)
	network := memnet.New(3)
	trs := map[string]*tryTransport{}
	nodes := map[string]*gossip.Node{}
	for _, id := range []string{"a", "b", "c"} {
		var refuse []string
		if id == "a" {
			refuse = []string{"c"}
		}
		trs[id] = newTryTransport(network.Transport(id), refuse...)
		cfg := gossip.LocalConfig()
		cfg.ID = id
		n, err := gossip.New(cfg, trs[id], gossip.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
		nodes[id] = n
	}
	sub := nodes["a"].Subscribe(1024)
	for _, id := range []string{"b", "c"} {
		if err := nodes[id].Join(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "3 members everywhere", func() bool {
		for _, n := range nodes {
			if len(n.LiveMembers()) != 3 {
				return false
			}
		}
		return true
	})
	// Wait until a has probed both others several times over both paths.
	eventually(t, 10*time.Second, "packets over both paths", func() bool {
		return trs["a"].tried.Load() >= 5 && trs["a"].refused.Load() >= 5 && nodes["a"].Stats().Probes >= 6
	})
	for _, id := range []string{"b", "c"} {
		if w := trs[id].written.Load(); w != 0 {
			t.Errorf("%s wrote %d packets through the senders, want 0 (all inline)", id, w)
		}
	}
	// Each refused packet is written by a sender soon after.
	eventually(t, 10*time.Second, "refused packets written by the senders", func() bool {
		return trs["a"].written.Load() >= trs["a"].refused.Load()
	})
	for drained := false; !drained; {
		select {
		case e := <-sub.C:
			if e.Type == gossip.EventSuspect || e.Type == gossip.EventFailed {
				t.Errorf("a saw %s %s", e.Member.ID, e.Type)
			}
		default:
			drained = true
		}
	}
}
