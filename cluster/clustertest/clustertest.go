// Package clustertest helps tests start gossip members (on an in-memory
// network or on loopback sockets) and wait for conditions with deadlines.
// Every member started here is shut down by the test's cleanup.
package clustertest

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
	lgnet "github.com/libgossip/libgossip/net"
)

// Config returns a fast protocol config for tests (the Local preset)
// with the given id and a fresh start incarnation (see Incarnation).
func Config(id string) gossip.Config {
	c := gossip.LocalConfig()
	c.ID = id
	c.Incarnation = Incarnation()
	return c
}

// incarnations hands out start incarnations; see Incarnation.
var incarnations atomic.Uint64

// Incarnation returns a start incarnation greater than every one it
// returned before in this process and than the wall-clock seconds the
// runtime uses by default, so a member restarted within the same second
// still outranks its old records. It stays far below the core's bound on
// incarnation jumps (2^40).
func Incarnation() uint64 {
	base := uint64(time.Now().Unix()) << 8
	for {
		cur := incarnations.Load()
		next := max(cur+1, base)
		if incarnations.CompareAndSwap(cur, next) {
			return next
		}
	}
}

// Quiet is a logger that discards everything.
var Quiet = slog.New(slog.DiscardHandler)

// Start starts a node with cfg over tr and registers its shutdown on t.
func Start(t testing.TB, cfg gossip.Config, tr gossip.Transport) *gossip.Node {
	t.Helper()
	n, err := gossip.New(cfg, tr, gossip.WithLogger(Quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Stop(t, n) })
	return n
}

// Stop shuts n down within 10 seconds (no-op when already stopped).
func Stop(t testing.TB, n *gossip.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Errorf("shutdown %s: %v", n.LocalNode().ID, err)
	}
}

// Loopback returns an unstarted hybrid transport on 127.0.0.1 with the
// given port (0 picks a free one).
func Loopback(t testing.TB, port int) gossip.Transport {
	t.Helper()
	tr, err := lgnet.New(fmt.Sprintf("hybrid://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Cluster is a set of members on one in-memory network.
type Cluster struct {
	Net   *memnet.Network
	Nodes []*gossip.Node
	// Configure, if set, adjusts each member's config before it starts.
	Configure func(*gossip.Config)
}

// NewMemnet returns an empty cluster on a memnet network seeded with seed.
func NewMemnet(seed uint64) *Cluster { return &Cluster{Net: memnet.New(seed)} }

// Add starts a member with the given id at address addr on the network
// and, if the cluster already has members, joins it through the first
// one. It returns the new node (also appended to Nodes).
func (c *Cluster) Add(t testing.TB, id, addr string) *gossip.Node {
	t.Helper()
	cfg := Config(id)
	if c.Configure != nil {
		c.Configure(&cfg)
	}
	n := Start(t, cfg, c.Net.Transport(addr))
	if len(c.Nodes) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Join(ctx, c.Nodes[0].LocalNode().Addr); err != nil {
			t.Fatalf("%s join: %v", id, err)
		}
	}
	c.Nodes = append(c.Nodes, n)
	return n
}

// Memnet starts n members m0..m(n-1) on a fresh network and waits until
// every member sees all n alive.
func Memnet(t testing.TB, n int, configure func(*gossip.Config)) *Cluster {
	t.Helper()
	c := NewMemnet(1)
	c.Configure = configure
	for i := range n {
		c.Add(t, fmt.Sprintf("m%d", i), fmt.Sprintf("m%d:1", i))
	}
	WaitMembers(t, 30*time.Second, c.Nodes, n)
	return c
}

// WaitFor polls cond until it holds or timeout passes, then fails t with
// what.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Eventually(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Eventually polls cond every 10ms until it holds (true) or timeout
// passes (false).
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for a condition
	}
}

// WaitMembers waits until every node in nodes sees exactly want live
// members (itself included).
func WaitMembers(t testing.TB, timeout time.Duration, nodes []*gossip.Node, want int) {
	t.Helper()
	WaitFor(t, timeout, fmt.Sprintf("%d nodes to see %d live members", len(nodes), want), func() bool {
		return AllSee(nodes, want)
	})
}

// AllSee reports whether every node sees exactly want live members.
func AllSee(nodes []*gossip.Node, want int) bool {
	for _, n := range nodes {
		if len(n.LiveMembers()) != want {
			return false
		}
	}
	return true
}
