package node

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
)

// TestHintedHandoff: with W=1, writes acknowledged while a replica's
// internal port is down reach it from hints once it is back, without any
// membership change.
func TestHintedHandoff(t *testing.T) {
	c := startCluster(t, 2, func(cfg *Config) { cfg.WriteAcks = 1 })
	n0, n1 := c.nodes[0], c.nodes[1]
	if err := n1.psrv.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl := c.client(0)
	for i := range 50 {
		if err := cl.Set(ctx, fmt.Sprintf("h%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if pending, _ := n0.hints.pending(); pending == 0 {
		t.Fatal("no hints kept for the unreachable replica")
	}
	ln, err := net.Listen("tcp", n1.peerAddr)
	if err != nil {
		t.Fatal(err)
	}
	n1.psrv = peer.NewServer([]byte(n1.cfg.Secret), n1.isMember, n1, peer.Limits{}, quiet)
	n1.psrv.Serve(ln)
	waitFor(t, 20*time.Second, "the hints are delivered", func() bool {
		for i := range 50 {
			if _, ok := n1.store.Peek(fmt.Sprintf("h%d", i)); !ok {
				return false
			}
		}
		return true
	})
	// n1 stores a batch before it answers, and n0 counts the batch only
	// once the answer is back: the keys can be seen before the count.
	waitFor(t, 20*time.Second, "the hint deliveries to be counted (if the keys arrived some other way, never)", func() bool {
		return n0.m.hintsDelivered.Load() > 0
	})
}
