package kv

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

var quiet = slog.New(slog.DiscardHandler)

type cluster struct {
	t      *testing.T
	net    *memnet.Network
	root   string
	nodes  map[string]*gossip.Node
	stores map[string]*Store
	gen    map[string]int
}

func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t, net: memnet.New(1), root: t.TempDir(), nodes: map[string]*gossip.Node{}, stores: map[string]*Store{}, gen: map[string]int{}}
	t.Cleanup(func() {
		for id := range c.stores {
			c.stop(id)
		}
	})
	return c
}

func (c *cluster) start(id, seed string, expect int, opts ...Option) *Store {
	c.t.Helper()
	ctx := context.Background()
	c.gen[id]++
	cfg := gossip.LocalConfig()
	cfg.ID = id
	cfg.Incarnation = uint64(c.gen[id])
	node, err := gossip.New(cfg, c.net.Transport(id), gossip.WithLogger(quiet))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := node.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	opts = append([]Option{WithRaftOptions(
		raft.WithLogger(quiet),
		raft.WithBindAddr("127.0.0.1:0"),
		raft.WithBootstrapExpect(expect),
		raft.WithTimeouts(200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond),
		raft.WithReconcileInterval(50*time.Millisecond),
		raft.WithStabilization(200*time.Millisecond),
	)}, opts...)
	st, err := New(node, filepath.Join(c.root, id), opts...)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := st.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	if seed != "" {
		jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := node.Join(jctx, seed); err != nil {
			c.t.Fatal(err)
		}
	}
	c.nodes[id], c.stores[id] = node, st
	return st
}

func (c *cluster) stop(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.stores[id].Shutdown(ctx); err != nil {
		c.t.Errorf("shutdown %s: %v", id, err)
	}
	if err := c.nodes[id].Shutdown(ctx); err != nil {
		c.t.Errorf("shutdown node %s: %v", id, err)
	}
	delete(c.stores, id)
}

func (c *cluster) leader() *Store {
	c.t.Helper()
	var l *Store
	gossiptest.WaitFor(c.t, 20*time.Second, "a leader", func() bool {
		for _, s := range c.stores {
			if s.Server().IsLeader() {
				l = s
				return true
			}
		}
		return false
	})
	return l
}
