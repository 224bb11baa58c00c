package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// copies counts, for each key, the live nodes whose store holds it.
func (c *testCluster) copies(keys []string) map[string]int {
	out := map[string]int{}
	for _, n := range c.live() {
		for _, k := range keys {
			if e, ok := n.store.Peek(k); ok && !e.Deleted {
				out[k]++
			}
		}
	}
	return out
}

// writeKeys sets keys through random nodes' clients, retrying a refused
// write a few times, and returns the keys whose write was acknowledged.
func writeKeys(t *testing.T, rng *rand.Rand, clients []*redis.Client, prefix string, n int) map[string]string {
	ctx := context.Background()
	acked := map[string]string{}
	for i := range n {
		k, v := fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("v%d", i)
		for range 3 {
			if clients[rng.IntN(len(clients))].Set(ctx, k, v, 0).Err() == nil {
				acked[k] = v
				break
			}
		}
	}
	return acked
}

// TestCrashAndRestartLosesNoAcknowledgedWrite: R=2, W=2; a node crashes
// while writes continue, then comes back empty under its id. Every
// acknowledged write is readable from every node, and rebalancing puts
// each key back on exactly R nodes.
func TestCrashAndRestartLosesNoAcknowledgedWrite(t *testing.T) {
	c := startCluster(t, 3, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	all := []*redis.Client{c.client(0), c.client(1), c.client(2)}
	acked := writeKeys(t, rng, all, "before:", 1500)
	c.kill(2)
	during := writeKeys(t, rng, all[:2], "during:", 1500)
	c.waitMembers(2)
	after := writeKeys(t, rng, all[:2], "after:", 500)
	cfg := testConfig(2)
	cfg.Seeds = []string{c.nodes[0].GossipAddr()}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c.nodes[2] = n
	c.waitMembers(3)
	for k, v := range during {
		acked[k] = v
	}
	for k, v := range after {
		acked[k] = v
	}
	t.Logf("acknowledged %d writes (%d while a node was down)", len(acked), len(during))
	if len(after) != 500 {
		t.Errorf("%d of 500 writes acknowledged after the crash was detected", len(after))
	}
	clients := []*redis.Client{c.client(0), c.client(1), c.client(2)}
	lost := 0
	for k, v := range acked {
		got, err := clients[rng.IntN(3)].Get(context.Background(), k).Result()
		if err != nil || got != v {
			lost++
			if lost < 5 {
				t.Errorf("acknowledged %s=%s, read %q, %v", k, v, got, err)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
	}
	waitFor(t, 30*time.Second, "every key is on exactly 2 nodes", func() bool {
		for _, k := range keys {
			if c.copies([]string{k})[k] != 2 {
				return false
			}
		}
		return true
	})
}

// TestRebalanceOnJoin measures the keys that move when a 4th node joins
// 3: at most 1/4 + 5% of the key copies, all readable during and after.
func TestRebalanceOnJoin(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := context.Background()
	cl := c.client(0)
	const n = 20000
	keys := make([]string, n)
	for i := 0; i < n; i += 1000 {
		pipe := cl.Pipeline()
		for j := i; j < i+1000; j++ {
			keys[j] = fmt.Sprintf("key:%d", j)
			pipe.Set(ctx, keys[j], j, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	total := func() int {
		s := 0
		for _, n := range c.live() {
			s += n.store.Stats().Entries
		}
		return s
	}
	if got := total(); got != 2*n {
		t.Fatalf("%d copies of %d keys, want %d", got, n, 2*n)
	}
	before := map[string]int{}
	for _, nd := range c.live() {
		before[nd.ID()] = nd.store.Stats().Entries
	}
	newNode := c.add()
	c.waitMembers(4)
	// Reads keep working while keys move.
	probe := c.client(3)
	for i := 0; i < n; i += 97 {
		if v, err := probe.Get(ctx, keys[i]).Result(); err != nil || v != fmt.Sprint(i) {
			t.Fatalf("during the move GET %s = %q, %v", keys[i], v, err)
		}
	}
	waitFor(t, 60*time.Second, "each key sits on exactly its 2 replicas", func() bool {
		if total() != 2*n {
			return false
		}
		v := newNode.view.Load()
		for _, k := range keys[:2000] {
			for _, r := range v.replicas(k, 2) {
				i := slices.IndexFunc(c.nodes, func(x *Node) bool { return x.ID() == r })
				if _, ok := c.nodes[i].store.Peek(k); !ok {
					return false
				}
			}
		}
		return true
	})
	moved := newNode.store.Stats().Entries
	frac := float64(moved) / float64(2*n)
	var pushed uint64
	for _, nd := range c.live() {
		pushed += nd.m.moved.Load()
	}
	t.Logf("4th node: %d of %d key copies moved (%.1f%%); %d entries pushed by rebalancing", moved, 2*n, 100*frac, pushed)
	if frac > 0.25+0.05 {
		t.Errorf("%.1f%% of key copies moved, want <= 30%%", 100*frac)
	}
	for i := 0; i < n; i += 13 {
		if v, err := probe.Get(ctx, keys[i]).Result(); err != nil || v != fmt.Sprint(i) {
			t.Fatalf("after the move GET %s = %q, %v", keys[i], v, err)
		}
	}
}
