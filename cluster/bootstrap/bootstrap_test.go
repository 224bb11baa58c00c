package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/bootstrap"
	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func startB(t *testing.T, n *gossip.Node, opts ...bootstrap.Option) *bootstrap.Bootstrapper {
	t.Helper()
	opts = append([]bootstrap.Option{bootstrap.WithLogger(clustertest.Quiet), bootstrap.WithBackoff(bootstrap.Backoff{Base: 50 * time.Millisecond, Max: 500 * time.Millisecond})}, opts...)
	b, err := bootstrap.New(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	return b
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestRestartFromSnapshots is the acceptance run on loopback: 5 members
// form through a seed and record each other in their snapshot files; all
// stop; all restart with no seed, each on a port none of its peers
// recorded for it (the five ports are rotated among the members), with
// only their snapshot files: the cluster is whole again within 10 s.
func TestRestartFromSnapshots(t *testing.T) {
	dir := t.TempDir()
	const n = 5
	type member struct {
		node *gossip.Node
		b    *bootstrap.Bootstrapper
	}
	start := func(i, port int, seeds ...string) member {
		cfg := clustertest.Config(fmt.Sprintf("m%d", i))
		// Restarts within one second must still outrank the old records.
		cfg.Incarnation = clustertest.Incarnation()
		nd := clustertest.Start(t, cfg, clustertest.Loopback(t, port))
		b := startB(t, nd, bootstrap.WithSeeds(seeds...), bootstrap.WithSnapshot(filepath.Join(dir, fmt.Sprintf("m%d.snap", i))),
			bootstrap.WithSyncInterval(100*time.Millisecond))
		return member{nd, b}
	}
	ms := []member{start(0, 0)}
	for i := 1; i < n; i++ {
		ms = append(ms, start(i, 0, ms[0].node.LocalNode().Addr))
	}
	var nodes []*gossip.Node
	for _, m := range ms {
		nodes = append(nodes, m.node)
	}
	clustertest.WaitMembers(t, 20*time.Second, nodes, n)
	clustertest.WaitFor(t, 10*time.Second, "every member to know its 4 peers", func() bool {
		for _, m := range ms {
			if len(m.b.Peers()) != n-1 {
				return false
			}
		}
		return true
	})
	ports := make([]int, n)
	for i, m := range ms {
		_, p, _ := net.SplitHostPort(m.node.LocalNode().Addr)
		fmt.Sscan(p, &ports[i])
		if err := m.b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		clustertest.Stop(t, m.node)
	}
	begin := time.Now()
	var wg sync.WaitGroup
	restarted := make([]member, n)
	for i := range n {
		wg.Go(func() { restarted[i] = start(i, ports[(i+1)%n]) })
	}
	wg.Wait()
	nodes = nodes[:0]
	for _, m := range restarted {
		nodes = append(nodes, m.node)
	}
	clustertest.WaitMembers(t, 10*time.Second, nodes, n)
	t.Logf("whole again %v after the restart, with no seed", time.Since(begin).Round(time.Millisecond))
}

// fakeDNS answers with whatever the test last set.
type fakeDNS struct {
	mu     sync.Mutex
	addrs  []string
	calls  int
	onCall func(calls int)
}

func (f *fakeDNS) LookupHost(_ context.Context, host string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.onCall != nil {
		f.onCall(f.calls)
	}
	return append([]string(nil), f.addrs...), nil
}

func (f *fakeDNS) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, errors.New("no SRV")
}

// TestSeedNameFollowed: the seed's DNS answer points at a dead address
// at first and at the live seed from the third lookup on; the
// bootstrapper resolves again on every retry and joins.
func TestSeedNameFollowed(t *testing.T) {
	c := clustertest.NewMemnet(1)
	c.Add(t, "seed", "seed:1")
	dns := &fakeDNS{addrs: []string{"gone"}}
	dns.onCall = func(calls int) {
		if calls == 3 {
			dns.addrs = []string{"seed"}
		}
	}
	nd := clustertest.Start(t, clustertest.Config("late"), c.Net.Transport("late:1"))
	b := startB(t, nd, bootstrap.WithSeeds("dns+seeds.test:1"), bootstrap.WithResolver(dns), bootstrap.WithAttemptTimeout(time.Second))
	wait(t, b.Joined(), "the join through the moved seed")
	dns.mu.Lock()
	calls := dns.calls
	dns.mu.Unlock()
	if calls < 3 || b.Attempts() < 3 {
		t.Errorf("joined after %d lookups and %d attempts, want the third", calls, b.Attempts())
	}
	clustertest.WaitMembers(t, 10*time.Second, []*gossip.Node{nd}, 2)
}

// TestPartitionRejoin: with the gossip layer's own repair off (no
// periodic push-pull, no reconnect exchanges, no gossip to the dead), a
// member cut off until both sides declared each other failed comes back
// within 2 rejoin intervals of the heal.
func TestPartitionRejoin(t *testing.T) {
	c := clustertest.NewMemnet(1)
	c.Configure = func(cfg *gossip.Config) {
		cfg.PushPullInterval = -1
		cfg.ReconnectInterval = -1
		cfg.GossipToTheDead = time.Millisecond
		// The cut member must declare the others failed on its own
		// probes alone: nobody's suspicions reach it. Under the lateness
		// rule a member whose ticks come late (a loaded machine) raises
		// no suspicion from an unanswered probe, so it might never.
		cfg.DisableLateHold = true
	}
	const interval = 2 * time.Second
	var bs []*bootstrap.Bootstrapper
	for i := range 4 {
		n := c.Add(t, fmt.Sprintf("m%d", i), fmt.Sprintf("m%d", i))
		bs = append(bs, startB(t, n, bootstrap.WithRejoin(interval, 3)))
	}
	clustertest.WaitMembers(t, 20*time.Second, c.Nodes, 4)
	c.Net.Cut("m3", true)
	clustertest.WaitMembers(t, 30*time.Second, c.Nodes[:3], 3)
	if !clustertest.Eventually(30*time.Second, func() bool { return clustertest.AllSee(c.Nodes[3:], 1) }) {
		st := c.Nodes[3].Stats()
		t.Fatalf("m3 cut off 30s and still sees %v (late ticks %d, late holds %d; stats %+v)",
			c.Nodes[3].Members(), st.LateTicks, st.LateHolds, st)
	}
	c.Net.Cut("m3", false)
	healed := time.Now()
	if !clustertest.Eventually(2*interval, func() bool { return clustertest.AllSee(c.Nodes, 4) }) {
		for i, n := range c.Nodes {
			t.Logf("m%d sees %v; attempts %d, peers %+v", i, n.Members(), bs[i].Attempts(), bs[i].Peers())
		}
		t.Fatalf("not whole within 2 rejoin intervals (%v) of the heal", 2*interval)
	}
	t.Logf("whole %v after the heal (rejoin interval %v)", time.Since(healed).Round(time.Millisecond), interval)
	for _, b := range bs {
		if len(b.Peers()) != 3 {
			t.Errorf("peers %+v", b.Peers())
		}
	}
}

func TestExpectAndFirstMember(t *testing.T) {
	c := clustertest.NewMemnet(1)
	first := c.Add(t, "a", "a:1")
	b0 := startB(t, first, bootstrap.WithExpect(3))
	wait(t, b0.Joined(), "the first member (nothing to join)")
	select {
	case <-b0.Ready():
		t.Fatal("ready with 1 of 3 expected members")
	default:
	}
	nb := clustertest.Start(t, clustertest.Config("b"), c.Net.Transport("b:1"))
	b1 := startB(t, nb, bootstrap.WithSeeds("a:1"), bootstrap.WithExpect(3))
	wait(t, b1.Joined(), "the second member's join")
	nc := clustertest.Start(t, clustertest.Config("c"), c.Net.Transport("c:1"))
	startB(t, nc, bootstrap.WithSeeds("b:1"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b0.WaitReady(ctx); err != nil {
		t.Fatalf("first member never ready: %v (sees %v)", err, first.Members())
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	b2 := startB(t, clustertest.Start(t, clustertest.Config("d"), c.Net.Transport("d:1")), bootstrap.WithSeeds("nowhere:1"))
	if err := b2.WaitReady(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unreachable seed: %v", err)
	}
}

// TestSeedListWithSelf: members share one seed list that includes
// themselves; the first seed finds only itself and is ready alone, the
// others join it.
func TestSeedListWithSelf(t *testing.T) {
	c := clustertest.NewMemnet(1)
	a := clustertest.Start(t, clustertest.Config("a"), c.Net.Transport("a:1"))
	ba := startB(t, a, bootstrap.WithSeeds("a:1"))
	wait(t, ba.Ready(), "the first seed, alone")
	b := clustertest.Start(t, clustertest.Config("b"), c.Net.Transport("b:1"))
	bb := startB(t, b, bootstrap.WithSeeds("a:1", "b:1"))
	wait(t, bb.Ready(), "the second member")
	clustertest.WaitMembers(t, 10*time.Second, []*gossip.Node{a, b}, 2)
}

func TestOptions(t *testing.T) {
	c := clustertest.NewMemnet(1)
	n := c.Add(t, "a", "a")
	for _, opts := range [][]bootstrap.Option{
		{bootstrap.WithSeeds("bad seed")},
		{bootstrap.WithSyncInterval(-1)},
		{bootstrap.WithRejoin(time.Second, -1)},
		{bootstrap.WithExpect(-1)},
	} {
		if _, err := bootstrap.New(n, opts...); err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
	if _, err := bootstrap.New(nil); !errors.Is(err, bootstrap.ErrConfig) {
		t.Errorf("nil node: %v", err)
	}
	b := startB(t, n, bootstrap.WithRejoin(-1, 0), bootstrap.WithForgetAfter(time.Hour), bootstrap.WithSeed(3),
		bootstrap.WithErrorHandler(func(error) {}), bootstrap.WithSnapshot(filepath.Join(t.TempDir(), "s")))
	if err := b.Start(context.Background()); !errors.Is(err, bootstrap.ErrNotRunning) {
		t.Errorf("second start: %v", err)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
