package monitoring_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/monitoring"
	lgnet "github.com/libgossip/libgossip/net"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// member is one node of a test cluster with its monitor.
type member struct {
	node *gossip.Node
	mon  *monitoring.Monitor
	tr   *lgnet.Transport // nil on memnet
}

type testCluster struct {
	t       testing.TB
	net     *memnet.Network
	members []*member
}

// clusterOpts says how newCluster builds each member.
type clusterOpts struct {
	sockets   bool                               // hybrid transports on 127.0.0.1 instead of memnet
	monOpts   func(i int) []monitoring.Option    // options of member i's monitor
	join      func(m *member, seed string) error // how members 1.. join (default node.Join)
	noMonitor bool                               // leave the members uninstrumented
	probes    bool                               // time probes (ProbeTimer middleware)
}

// newCluster starts n instrumented members at the local preset and waits
// until each sees all n alive. Everything is shut down at the test's end.
func newCluster(t *testing.T, n int, co clusterOpts) *testCluster {
	t.Helper()
	return newClusterTB(t, n, co)
}

func newClusterTB(t testing.TB, n int, co clusterOpts) *testCluster {
	t.Helper()
	c := &testCluster{t: t, net: memnet.New(7)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() {
		for _, m := range c.members {
			_ = m.node.Shutdown(context.Background())
			if m.mon != nil {
				_ = m.mon.Close()
			}
		}
	})
	for i := range n {
		cfg := gossip.LocalConfig()
		cfg.ID = fmt.Sprintf("node-%d", i+1)
		cfg.Meta = map[string]string{"role": "worker", "zone": fmt.Sprintf("z%d", i%2)}
		m := &member{}
		var tr gossip.Transport
		if co.sockets {
			nt, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(quiet))
			if err != nil {
				t.Fatal(err)
			}
			m.tr, tr = nt, nt
		} else {
			tr = c.net.Transport(cfg.ID)
		}
		var pt *monitoring.ProbeTimer
		if co.probes {
			pt = monitoring.NewProbeTimer()
			tr = gossip.Chain(tr, pt.Middleware)
		}
		node, err := gossip.New(cfg, tr, gossip.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		m.node = node
		var opts []monitoring.Option
		if co.monOpts != nil {
			opts = co.monOpts(i)
		}
		opts = append(opts, monitoring.WithLogger(quiet))
		if pt != nil {
			opts = append(opts, monitoring.WithProbeTimer(pt))
		}
		if m.tr != nil {
			opts = append(opts, monitoring.WithTransport(m.tr))
		}
		if !co.noMonitor {
			if m.mon, err = monitoring.Instrument(node, opts...); err != nil {
				t.Fatal(err)
			}
		}
		c.members = append(c.members, m)
		if err := node.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	seed := c.members[0].node.LocalNode().Addr
	for _, m := range c.members[1:] {
		join := co.join
		if join == nil {
			join = func(m *member, seed string) error { return m.node.Join(ctx, seed) }
		}
		if err := join(m, seed); err != nil {
			t.Fatalf("join: %v", err)
		}
	}
	c.waitFor(20*time.Second, "cluster formed", func() bool {
		for _, m := range c.members {
			if len(m.node.LiveMembers()) != n {
				return false
			}
		}
		return true
	})
	return c
}

// crash stops member i without a word (its links cut first on memnet).
func (c *testCluster) crash(i int) {
	m := c.members[i]
	if m.tr == nil {
		c.net.Cut(m.node.LocalNode().ID, true)
	}
	if err := m.node.Shutdown(context.Background()); err != nil {
		c.t.Fatalf("shutdown: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after d.
func (c *testCluster) waitFor(d time.Duration, what string, cond func() bool) time.Duration {
	c.t.Helper()
	return gossiptest.WaitFor(c.t, d, what, cond)
}

func stateOf(n *gossip.Node, id string) (gossip.State, bool) {
	for _, v := range n.Members() {
		if v.ID == id {
			return v.State, true
		}
	}
	return 0, false
}
