package raft

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// A server that leaves gossip gracefully is removed from the raft
// configuration; one that fails is removed after the dead-server timeout.
func TestLeftAndFailedServersRemoved(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(3), WithDeadServerTimeout(500*time.Millisecond))
	c.start("a", "")
	c.start("b", c.addr("a"))
	c.start("c", c.addr("a"))
	c.start("d", c.addr("a"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	config := func() []string {
		l := c.leader(20 * time.Second)
		s, err := l.srv.Servers(ctx)
		if err != nil {
			return nil
		}
		return configString(s)
	}
	gossiptest.WaitFor(t, 30*time.Second, "four voters", func() bool {
		return slices.Equal(config(), []string{"a:v", "b:v", "c:v", "d:v"})
	})

	// d leaves gracefully (not the leader: pick a follower).
	var leaving *member
	l := c.leader(20 * time.Second)
	for _, m := range c.running() {
		if m != l {
			leaving = m
			break
		}
	}
	if err := leaving.node.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	c.kill(leaving.id)
	gossiptest.WaitFor(t, 30*time.Second, leaving.id+" removed after leaving", func() bool {
		return len(config()) == 3 && !slices.ContainsFunc(config(), func(s string) bool { return s[:1] == leaving.id })
	})

	// One of the three remaining voters fails: after the dead-server
	// timeout it is removed, since the two left are a majority of three.
	// (That a removal below quorum never happens is checked by the policy's
	// table tests and simulation: a cluster without quorum has no leader to
	// observe here.)
	l = c.leader(20 * time.Second)
	var victim *member
	for _, m := range c.running() {
		if m != l {
			victim = m
			break
		}
	}
	c.kill(victim.id)
	gossiptest.WaitFor(t, 30*time.Second, victim.id+" removed after failing", func() bool {
		cfg := config()
		return len(cfg) == 2 && !slices.ContainsFunc(cfg, func(s string) bool { return s[:1] == victim.id })
	})
}

// Inbound raft connections are bounded per IP; connections over the bound
// are closed at once, and Shutdown closes the rest.
func TestInboundConnectionLimit(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(1), WithMaxInboundConns(8, 2))
	m := c.start("a", "")
	c.leader(20 * time.Second)
	var conns []net.Conn
	defer func() {
		for _, x := range conns {
			x.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		x, err := net.Dial("tcp", m.srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, x)
	}
	// Exactly two stay open: reads on the others end with EOF.
	closed := 0
	for _, x := range conns {
		_ = x.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		var b [1]byte
		if _, err := x.Read(b[:]); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			closed++
		}
	}
	if closed != 2 {
		t.Fatalf("%d of 4 connections closed by a limit of 2 per IP, want 2", closed)
	}
	if in, _ := m.srv.stream.open(); in != 2 {
		t.Fatalf("%d inbound connections tracked, want 2", in)
	}
}

// A leader that leaves hands leadership over first, then is removed. (Who
// leads afterwards is up to raft's next elections, l included while it is
// still a voter; Leave only guarantees the handover.)
func TestLeaderLeaves(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(3))
	c.start("a", "")
	c.start("b", c.addr("a"))
	c.start("c", c.addr("a"))
	l := c.leader(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A handover can time out on a loaded machine (the target must catch
	// up within an election timeout); the caller may try again.
	for attempt := 1; ; attempt++ {
		err := l.srv.Leave(ctx)
		if err == nil && l.srv.IsLeader() {
			t.Fatal("still leader after Leave")
		}
		if err == nil || !l.srv.IsLeader() {
			break
		}
		if attempt == 3 {
			t.Fatalf("Leave: %v", err)
		}
		t.Logf("Leave attempt %d: %v", attempt, err)
	}
	var f *member
	for _, m := range c.running() {
		if !m.srv.IsLeader() {
			f = m
			break
		}
	}
	if err := f.srv.Leave(ctx); err != nil {
		t.Fatalf("follower Leave: %v", err)
	}
	// l leaves gossip and stops; the leader removes it.
	if err := l.node.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	c.kill(l.id)
	gossiptest.WaitFor(t, 30*time.Second, l.id+" removed", func() bool {
		s, err := c.leader(20 * time.Second).srv.Servers(ctx)
		return err == nil && len(s) == 2 && !slices.ContainsFunc(s, func(x ServerInfo) bool { return x.ID == l.id })
	})
	if err := l.srv.Leave(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Leave after Shutdown: %v", err)
	}
}

// Shutdown is not held up by an RPC in flight to a peer that never
// answers: here a stale address of a stopped server that something else
// now listens on, accepting and never reading.
func TestShutdownWithStuckPeer(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(3))
	c.start("a", "")
	c.start("b", c.addr("a"))
	c.start("c", c.addr("a"))
	l := c.leader(20 * time.Second)
	var f *member
	for _, m := range c.running() {
		if m != l {
			f = m
			break
		}
	}
	stale := f.srv.Addr()
	c.kill(f.id)
	ln, err := net.Listen("tcp", stale)
	if err != nil {
		t.Skipf("cannot take over %s: %v", stale, err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- conn
		}
	}()
	var held []net.Conn
	defer func() {
		ln.Close()
		for conn := range accepted {
			held = append(held, conn)
		}
		for _, conn := range held {
			conn.Close()
		}
	}()
	select {
	case conn := <-accepted:
		held = append(held, conn)
	case <-time.After(20 * time.Second):
		t.Fatal("the leader never dialed the stale address")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a stuck peer: %v", err)
	}
}
