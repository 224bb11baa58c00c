package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testCluster is a set of in-process nodes on loopback.
type testCluster struct {
	t     testing.TB
	nodes []*Node
	mod   func(*Config)
}

func testConfig(i int) Config {
	return Config{ID: fmt.Sprintf("n%d", i), Preset: "local", Secret: "test-secret", Logger: quiet,
		SettleTime: 500 * time.Millisecond, HTTPAddr: "127.0.0.1:0"}
}

// startCluster starts size nodes, each joining the first, and waits
// until every node's ring has them all.
func startCluster(t testing.TB, size int, mod func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, mod: mod}
	t.Cleanup(c.close)
	for range size {
		c.add()
	}
	c.waitMembers(size)
	return c
}

func (c *testCluster) add() *Node {
	c.t.Helper()
	cfg := testConfig(len(c.nodes))
	if len(c.nodes) > 0 {
		cfg.Seeds = []string{c.nodes[0].GossipAddr()}
	}
	if c.mod != nil {
		c.mod(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	c.nodes = append(c.nodes, n)
	return n
}

func (c *testCluster) close() {
	for _, n := range c.nodes {
		if n != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = n.Shutdown(ctx)
			cancel()
		}
	}
}

// kill shuts node i down without leaving (a crash, as far as the others
// can tell).
func (c *testCluster) kill(i int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.nodes[i].Shutdown(ctx)
	c.nodes[i] = nil
}

func (c *testCluster) live() []*Node {
	var out []*Node
	for _, n := range c.nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

func (c *testCluster) waitMembers(size int) {
	c.t.Helper()
	waitFor(c.t, 30*time.Second, fmt.Sprintf("every node sees %d members", size), func() bool {
		for _, n := range c.live() {
			if len(n.Members()) != size {
				return false
			}
		}
		return true
	})
}

// client returns a client of node i. Its reads and writes may take 30 s
// (go-redis's default is 3 s): a pipeline of megabytes forwarded between
// nodes under the race detector on a loaded machine takes longer, and no
// test here measures latency.
func (c *testCluster) client(i int) *redis.Client {
	cl := redis.NewClient(&redis.Options{Addr: c.nodes[i].RESPAddr(), MaxRetries: -1,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second})
	c.t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// waitFor polls cond until it holds, failing t after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	gossiptest.WaitFor(t, timeout, what, cond)
}
