package raft

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// Three servers with bootstrap-expect 3 form a cluster with no manual
// bootstrap; a fourth joins as a non-voter and is promoted once stable.
func TestBootstrapExpectThenPromote(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(3), WithStabilization(time.Second))
	c.start("s1", "")
	seed := c.addr("s1")
	c.start("s2", seed)
	c.start("s3", seed)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	applyOnLeader(t, c, 1)
	l := c.leader(20 * time.Second)
	got, err := l.srv.Servers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"s1:v", "s2:v", "s3:v"}; !slices.Equal(configString(got), want) {
		t.Fatalf("configuration %v, want %v", configString(got), want)
	}

	c.start("s4", seed)
	var first []string
	var seen []string
	gossiptest.WaitFor(t, 30*time.Second, "s4 promoted to voter", func() bool {
		l := c.leader(10 * time.Second)
		servers, err := l.srv.Servers(ctx)
		if err != nil {
			return false
		}
		seen = configString(servers)
		if first == nil && len(seen) == 4 {
			first = seen
		}
		return slices.Contains(seen, "s4:v")
	})
	if !slices.Contains(first, "s4:n") {
		t.Errorf("s4 first appeared as %v, want a non-voter", first)
	}
	// s4 has the data written before it joined.
	m4 := c.members["s4"]
	gossiptest.WaitFor(t, 10*time.Second, "s4 caught up", func() bool { return m4.fsm.has(1) })
}

// A follower refuses commands and names the leader; a stopped server
// refuses everything.
func TestNotLeaderAndNotRunning(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(2))
	c.start("a", "")
	c.start("b", c.addr("a"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The checks need stable roles; on a loaded machine a 2-server cluster
	// with fast timeouts may change leaders in between, so a round that
	// saw the roles change is run again.
	var l, f *member
	roles := func() error {
		l = c.leader(20 * time.Second)
		for _, m := range c.running() {
			if m != l {
				f = m
			}
		}
		gossiptest.WaitFor(t, 10*time.Second, "follower knows the leader", func() bool { id, _ := f.srv.Leader(); return id == l.id })
		_, err := f.srv.Apply(ctx, cmd(7))
		var nle *NotLeaderError
		if !errors.As(err, &nle) || !errors.Is(err, ErrNotLeader) || nle.LeaderID != l.id || nle.LeaderAddr != l.srv.Addr() {
			return fmt.Errorf("Apply on follower: %v, want NotLeaderError naming %s", err, l.id)
		}
		if err := f.srv.Barrier(ctx); !errors.Is(err, ErrNotLeader) {
			return fmt.Errorf("Barrier on follower: %v", err)
		}
		if err := f.srv.VerifyLeader(ctx); !errors.Is(err, ErrNotLeader) {
			return fmt.Errorf("VerifyLeader on follower: %v", err)
		}
		if err := l.srv.VerifyLeader(ctx); err != nil {
			return fmt.Errorf("VerifyLeader on leader: %v", err)
		}
		if err := l.srv.Barrier(ctx); err != nil {
			return fmt.Errorf("Barrier on leader: %v", err)
		}
		return nil
	}
	for attempt := 1; ; attempt++ {
		err := roles()
		if err == nil {
			break
		}
		if attempt == 5 || (l.srv.IsLeader() && !f.srv.IsLeader()) {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		t.Logf("attempt %d: roles changed: %v", attempt, err)
	}
	if err := l.srv.Start(ctx); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	c.kill(f.id)
	if _, err := f.srv.Apply(ctx, cmd(8)); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Apply after Shutdown: %v", err)
	}
	if err := f.srv.Barrier(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Barrier after Shutdown: %v", err)
	}
	if id, addr := f.srv.Leader(); id != "" || addr != "" || f.srv.IsLeader() || f.srv.AppliedIndex() != 0 {
		t.Errorf("stopped server reports leader %q %q", id, addr)
	}
	if _, err := f.srv.Servers(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Servers after Shutdown: %v", err)
	}
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if _, ok := <-f.srv.LeaderCh(); ok {
		// A value may be pending; the channel must close after it.
		if _, ok := <-f.srv.LeaderCh(); ok {
			t.Errorf("LeaderCh not closed after Shutdown")
		}
	}
}
