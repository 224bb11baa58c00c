package gossip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startNode(t *testing.T, net *memnet.Network, id string, opts ...gossip.Option) *gossip.Node {
	t.Helper()
	cfg := gossip.LocalConfig()
	cfg.ID = id
	n, err := gossip.New(cfg, net.Transport(id), append([]gossip.Option{gossip.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n
}

// eventually polls cond until it holds or the deadline passes (in virtual
// time inside a synctest bubble).
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	gossiptest.WaitFor(t, d, what, cond)
}

func stateOf(n *gossip.Node, id string) (gossip.State, bool) {
	for _, v := range n.Members() {
		if v.ID == id {
			return v.State, true
		}
	}
	return 0, false
}

// TestNodeLifecycle runs in virtual time (testing/synctest): formation,
// metadata, a broadcast, a crash detected, a graceful leave.
func TestNodeLifecycle(t *testing.T) { synctest.Test(t, testNodeLifecycle) }

func testNodeLifecycle(t *testing.T) {
	net := memnet.New(1)
	a := startNode(t, net, "a")
	b := startNode(t, net, "b")
	c := startNode(t, net, "c")
	sub := a.Subscribe(64)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []*gossip.Node{b, c} {
		if err := n.Join(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	all := func() bool {
		for _, n := range []*gossip.Node{a, b, c} {
			if len(n.LiveMembers()) != 3 {
				return false
			}
		}
		return true
	}
	eventually(t, 10*time.Second, "3 members everywhere", all)

	if err := b.SetMeta(map[string]string{"role": "db"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "metadata at c", func() bool {
		for _, v := range c.Members() {
			if v.ID == "b" && v.Meta["role"] == "db" {
				return true
			}
		}
		return false
	})

	if err := c.Broadcast([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "broadcast at a", func() bool {
		for {
			select {
			case e := <-sub.C:
				if e.Type == gossip.EventUser && string(e.Payload) == "hello" && e.Member.ID == "c" {
					return true
				}
			default:
				return false
			}
		}
	})

	// Crash c: cut it off and stop it without a word.
	net.Cut("c", true)
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "c failed at a and b", func() bool {
		sa, _ := stateOf(a, "c")
		sb, _ := stateOf(b, "c")
		return sa == gossip.StateDead && sb == gossip.StateDead
	})

	if err := b.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "b left at a", func() bool {
		s, _ := stateOf(a, "b")
		return s == gossip.StateLeft
	})
	if st := a.Stats(); st.Failed == 0 || st.Probes == 0 {
		t.Errorf("stats not counting: %+v", st)
	}
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.SetMeta(nil); !errors.Is(err, gossip.ErrNotRunning) {
		t.Errorf("SetMeta after Shutdown: got %v, want ErrNotRunning", err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-sub.C; ok {
		// drain: channel must end closed
		for range sub.C {
		}
	}
}

func TestJoinUnreachable(t *testing.T) {
	net := memnet.New(1)
	a := startNode(t, net, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := a.Join(ctx, "nowhere")
	if !errors.Is(err, gossip.ErrJoin) || !errors.Is(err, memnet.ErrUnreachable) {
		t.Fatalf("Join to a missing seed: got %v, want ErrJoin wrapping ErrUnreachable", err)
	}
}

func TestNewValidates(t *testing.T) {
	net := memnet.New(1)
	cases := []struct {
		name string
		cfg  gossip.Config
		tr   gossip.Transport
	}{
		{"no id", gossip.LANConfig(), net.Transport("x")},
		{"nil transport", gossip.Config{ID: "x"}, nil},
		{"timeout above interval", gossip.Config{ID: "x", ProbeInterval: time.Second, ProbeTimeout: 2 * time.Second}, net.Transport("x")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := gossip.New(tc.cfg, tc.tr); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestSlowSubscriberDropsNotStalls(t *testing.T) {
	synctest.Test(t, testSlowSubscriberDropsNotStalls)
}

func testSlowSubscriberDropsNotStalls(t *testing.T) {
	net := memnet.New(2)
	a := startNode(t, net, "a")
	sub := a.Subscribe(1) // never read
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var others []*gossip.Node
	for i := range 4 {
		n := startNode(t, net, fmt.Sprintf("p%d", i))
		if err := n.Join(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		others = append(others, n)
	}
	eventually(t, 10*time.Second, "5 members at a", func() bool { return len(a.LiveMembers()) == 5 })
	if sub.Dropped() == 0 {
		t.Errorf("a subscriber with a 1-event buffer dropped nothing after 4 joins")
	}
	sub.Close()
	_ = others
}
