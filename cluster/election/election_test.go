package election

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

var quiet = slog.New(slog.DiscardHandler)

type testMember struct {
	node *gossip.Node
	el   *Election
}

func startMember(t *testing.T, net *memnet.Network, id, seed string, opts ...Option) *testMember {
	t.Helper()
	ctx := context.Background()
	cfg := gossip.LocalConfig()
	cfg.ID = id
	node, err := gossip.New(cfg, net.Transport(id), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	el, err := New(node, "sched", append([]Option{WithLogger(quiet), WithInterval(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := el.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if seed != "" {
		jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := node.Join(jctx, seed); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := el.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := node.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return &testMember{node: node, el: el}
}

// Over real gossip nodes: everyone agrees on the lowest rank; an isolated
// leader keeps leading on its side while the rest elect the next one with
// a higher token (the documented overlap); after the heal the lowest rank
// leads again with a token above both.
func TestElectionOverGossip(t *testing.T) {
	net := memnet.New(1)
	a := startMember(t, net, "a", "", WithRank(0))
	b := startMember(t, net, "b", "a", WithRank(1))
	c := startMember(t, net, "c", "a", WithRank(2))
	d := startMember(t, net, "d", "a", AsObserver())
	all := []*testMember{a, b, c, d}
	agree := func(ms []*testMember, leader string) func() bool {
		return func() bool {
			tok := ms[0].el.Leader().Token
			for _, m := range ms {
				l := m.el.Leader()
				if l.Leader != leader || l.Token != tok || l.Self != (m.node.LocalNode().ID == leader) {
					return false
				}
			}
			return true
		}
	}
	gossiptest.WaitFor(t, 20*time.Second, "everyone follows a", agree(all, "a"))
	t1 := a.el.Leader().Token
	if t1 == 0 {
		t.Fatalf("leader token 0")
	}
	select {
	case l := <-a.el.Changes():
		if l.Leader == "" {
			t.Errorf("a's latest change %+v", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported")
	}

	// Partition a away.
	net.Cut("a", true)
	gossiptest.WaitFor(t, 30*time.Second, "b leads the majority side", agree([]*testMember{b, c, d}, "b"))
	t2 := b.el.Leader().Token
	if t2 <= t1 {
		t.Errorf("b's token %d not above a's %d", t2, t1)
	}
	if l := a.el.Leader(); !l.Self {
		t.Errorf("isolated a: %+v, want still leading on its side", l)
	}

	// Heal: a leads everyone again, above both tokens.
	net.Cut("a", false)
	if err := a.node.Join(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	// Once a sees b's current token (metadata may trail membership), it
	// holds the highest token of all, and everyone follows it.
	gossiptest.WaitFor(t, 30*time.Second, "a leads again, above b's token", func() bool {
		if !agree(all, "a")() || a.el.Leader().Token <= t2 {
			return false
		}
		for _, m := range all {
			m.el.mu.Lock()
			tok := m.el.m.Token()
			m.el.mu.Unlock()
			if tok > a.el.Leader().Token {
				return false
			}
		}
		return true
	})

	// A candidate that shuts its election down withdraws its candidacy:
	// the others move on to b while a's gossip node keeps running.
	ctx := context.Background()
	if err := a.el.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-a.el.Changes(); ok {
		if _, ok := <-a.el.Changes(); ok {
			t.Errorf("Changes open after Shutdown")
		}
	}
	gossiptest.WaitFor(t, 20*time.Second, "b leads after a withdraws", agree([]*testMember{b, c, d}, "b"))
	if err := a.el.Start(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Start after Shutdown: %v", err)
	}
	if err := b.el.Start(ctx); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	cfg := gossip.LocalConfig()
	cfg.ID = "x"
	node, err := gossip.New(cfg, memnet.New(1).Transport("x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		node *gossip.Node
		el   string
		opts []Option
	}{
		{"nil node", nil, "x", nil},
		{"empty name", node, "", nil},
		{"long name", node, string(make([]byte, 65)), nil},
		{"zero interval", node, "x", []Option{WithInterval(0)}},
	} {
		if _, err := New(tt.node, tt.el, tt.opts...); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", tt.name, err)
		}
	}
}

// A bad tag on another member is reported and ignored.
func TestBadTagReported(t *testing.T) {
	net := memnet.New(1)
	errs := make(chan error, 8)
	a := startMember(t, net, "a", "", WithErrorHandler(func(err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	// b runs no election, only claims one with an unreadable tag.
	cfg := gossip.LocalConfig()
	cfg.ID = "b"
	cfg.Meta = map[string]string{TagPrefix + "sched": "bogus"}
	b, err := gossip.New(cfg, net.Transport("b"), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(ctx)
	if err := b.Join(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ErrTag) {
			t.Fatalf("reported %v, want ErrTag", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("bad tag not reported")
	}
	if l := a.el.Leader(); !l.Self {
		t.Fatalf("a sees %+v, want itself leading (b's candidacy unreadable)", l)
	}
}
