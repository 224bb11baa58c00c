package node

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// A member gossip counts live whose API refuses connections (a process
// killed and restarted on its ports, not yet suspected): a run dispatched
// to it is dispatched again to another member at once, not after the
// dispatch timeout (an hour here), and nothing is run twice.
func TestDispatchRefusedGoesElsewhere(t *testing.T) {
	c := newCluster(t, 3, WithDispatchTimeout(time.Hour))
	c.startN(3)
	lead := c.leader(60 * time.Second)

	// The ghost: a gossip member advertising an API where nothing listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	cfg := gossip.LocalConfig()
	cfg.ID = "ghost"
	g, err := gossip.New(cfg, c.net.Transport("ghost"), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Shutdown(context.Background()) })
	if err := g.UpdateMeta(func(m map[string]string) error { m[TagAPI] = dead; return nil }); err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := g.Join(jctx, "m1"); err != nil {
		t.Fatal(err)
	}
	gossiptest.WaitFor(t, 10*time.Second, "the leader sees the ghost's API", func() bool {
		return lead.n.apiOf("ghost") == dead
	})

	s := newSink(t)
	putJob(t, "http://"+lead.n.Addr(), httpJob("tick", s.srv.URL))
	var refused, runs []job.Run
	gossiptest.WaitFor(t, 30*time.Second, "a run refused by the ghost, then every run of 8 s started elsewhere", func() bool {
		refused, runs = refused[:0], runs[:0]
		lead.n.FSM().View(func(l *job.Ledger) {
			for _, id := range l.Jobs["tick"].Runs {
				r := *l.Runs[id]
				runs = append(runs, r)
				if r.Reason == "executor refused the dispatch" {
					refused = append(refused, r)
				}
			}
		})
		if len(refused) == 0 || len(runs) < 8 {
			return false
		}
		for _, r := range runs[:len(runs)-2] { // the last ones may be in flight
			if r.Status == job.Dispatched || r.Executor == "ghost" || !s.has(r.ID()) {
				return false
			}
		}
		return true
	})
	if _, dups := s.stats(); dups != 0 {
		t.Fatalf("%d runs reached the sink twice", dups)
	}
}
