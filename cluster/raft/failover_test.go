package raft

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// killsFromEnv returns how many leader kills TestKillLeaderNoAckedWriteLost
// runs: 20 by default (about 15s), LIBGOSSIP_RAFT_KILLS to override.
func killsFromEnv(t *testing.T) int {
	if s := os.Getenv("LIBGOSSIP_RAFT_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("LIBGOSSIP_RAFT_KILLS=%q: want a positive integer", s)
		}
		return n
	}
	return 20
}

// writer is a client that writes 1, 2, 3, ... to whichever server leads,
// retrying each value until it is acknowledged.
type writer struct {
	c    *testCluster
	mu   sync.Mutex
	acks []uint64
	at   []time.Time
	by   []string // the leader that acknowledged each write
	errs map[string]int
}

func (w *writer) run(stop <-chan struct{}) {
	for v := uint64(1); ; v++ {
		for {
			select {
			case <-stop:
				return
			default:
			}
			var l *member
			for _, m := range w.c.running() {
				if m.srv.IsLeader() {
					l = m
					break
				}
			}
			if l == nil {
				time.Sleep(5 * time.Millisecond) // no leader yet: poll again
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := l.srv.Apply(ctx, cmd(v))
			cancel()
			if err == nil {
				w.mu.Lock()
				w.acks = append(w.acks, v)
				w.at = append(w.at, time.Now())
				w.by = append(w.by, l.id)
				w.mu.Unlock()
				break
			}
			w.mu.Lock()
			switch {
			case errors.Is(err, ErrNotLeader):
				w.errs["not leader"]++
			case errors.Is(err, ErrNotRunning):
				w.errs["not running"]++
			case errors.Is(err, ErrLeadershipLost):
				w.errs["leadership lost"]++
			default:
				w.errs["other"]++
			}
			w.mu.Unlock()
		}
	}
}

func (w *writer) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks)
}

// firstAckAfter returns the time of the first acknowledgement after t by a
// leader other than old (the one killed: a write in flight there may still
// be acknowledged while it shuts down).
func (w *writer) firstAckAfter(t time.Time, old string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.at {
		if w.at[i].After(t) && w.by[i] != old {
			return w.at[i], true
		}
	}
	return time.Time{}, false
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

// Kill the leader repeatedly under a steady write load from a client that
// retries: no acknowledged write may be lost, and a new leader takes over
// each time. The killed server comes back with the same data directory and
// a new raft address before the next kill.
func TestKillLeaderNoAckedWriteLost(t *testing.T) {
	kills := killsFromEnv(t)
	// 100ms raft timeouts (heartbeat, election, lease): the failover
	// figures below are for these.
	c := newTestCluster(t, WithBootstrapExpect(3), WithTimeouts(100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond))
	c.start("s1", "")
	c.start("s2", c.addr("s1"))
	c.start("s3", c.addr("s1"))
	c.leader(20 * time.Second)

	w := &writer{c: c, errs: map[string]int{}}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); w.run(stop) }()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}()

	var failover, election []time.Duration
	for i := 0; i < kills; i++ {
		base := w.count()
		gossiptest.WaitFor(t, 20*time.Second, "steady writes", func() bool { return w.count() >= base+20 })
		l := c.leader(20 * time.Second)
		t0 := time.Now()
		c.kill(l.id)
		nl := c.leader(20 * time.Second)
		election = append(election, time.Since(t0))
		if nl.id == l.id {
			t.Fatalf("kill %d: killed leader %s still leads", i, l.id)
		}
		var ack time.Time
		gossiptest.WaitFor(t, 20*time.Second, "a write acknowledged by the new leader", func() bool {
			var ok bool
			ack, ok = w.firstAckAfter(t0, l.id)
			return ok
		})
		failover = append(failover, ack.Sub(t0))
		// Bring the killed server back and wait until it is a caught-up
		// voter at its new address, so the next kill leaves a quorum.
		var seed string
		for _, m := range c.running() {
			seed = m.node.LocalNode().Addr
			break
		}
		m := c.start(l.id, seed)
		target := w.count()
		gossiptest.WaitFor(t, 30*time.Second, l.id+" back as a caught-up voter", func() bool {
			cur := c.leader(20 * time.Second)
			servers, err := cur.srv.Servers(context.Background())
			if err != nil {
				return false
			}
			ok := false
			for _, s := range servers {
				if s.ID == l.id && s.Voter && s.Addr == m.srv.Addr() {
					ok = true
				}
			}
			w.mu.Lock()
			last := uint64(0)
			if target > 0 {
				last = w.acks[target-1]
			}
			w.mu.Unlock()
			return ok && (last == 0 || m.fsm.has(last))
		})
	}
	close(stop)
	<-done

	// Every acknowledged write is in the leader's FSM after a barrier, and
	// then in every server's.
	l := c.leader(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.srv.Barrier(ctx); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	w.mu.Lock()
	acks := slices.Clone(w.acks)
	errs := w.errs
	w.mu.Unlock()
	var lost []uint64
	for _, v := range acks {
		if !l.fsm.has(v) {
			lost = append(lost, v)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d acknowledged writes lost on leader %s: %v", len(lost), l.id, lost[:min(len(lost), 20)])
	}
	for _, m := range c.running() {
		gossiptest.WaitFor(t, 20*time.Second, m.id+" has every acknowledged write", func() bool {
			for _, v := range acks {
				if !m.fsm.has(v) {
					return false
				}
			}
			return true
		})
	}
	t.Logf("kills=%d acked=%d lost=0 retries=%v", kills, len(acks), errs)
	t.Logf("failover (kill -> first write acked by the new leader): p50=%v p99=%v max=%v", percentile(failover, .5), percentile(failover, .99), slices.Max(failover))
	t.Logf("election (kill -> new leader seen): p50=%v p99=%v max=%v", percentile(election, .5), percentile(election, .99), slices.Max(election))
}
