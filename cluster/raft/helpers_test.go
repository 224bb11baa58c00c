package raft

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

var quiet = slog.New(slog.DiscardHandler)

// setFSM is a test FSM: a set of uint64 values, each command one value.
type setFSM struct {
	mu   sync.Mutex
	vals map[uint64]bool
	last uint64 // index of the last applied entry
}

func newSetFSM() *setFSM { return &setFSM{vals: map[uint64]bool{}} }

func (f *setFSM) Apply(e Entry) any {
	if len(e.Data) != 8 {
		return errors.New("bad command")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := binary.BigEndian.Uint64(e.Data)
	f.vals[v] = true
	f.last = e.Index
	return v
}

type setSnap struct{ vals []uint64 }

func (s setSnap) Persist(w io.Writer) error {
	b := make([]byte, 8*len(s.vals))
	for i, v := range s.vals {
		binary.BigEndian.PutUint64(b[8*i:], v)
	}
	_, err := w.Write(b)
	return err
}
func (setSnap) Release() {}

func (f *setFSM) Snapshot() (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return setSnap{vals: f.sorted()}, nil
}

func (f *setFSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vals = map[uint64]bool{}
	for i := 0; i+8 <= len(b); i += 8 {
		f.vals[binary.BigEndian.Uint64(b[i:])] = true
	}
	return nil
}

func (f *setFSM) sorted() []uint64 {
	out := make([]uint64, 0, len(f.vals))
	for v := range f.vals {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func (f *setFSM) has(v uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vals[v]
}

func (f *setFSM) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.vals)
}

func cmd(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// member is one gossip node plus its raft server in a test cluster.
type member struct {
	id   string
	dir  string
	gen  int
	node *gossip.Node
	srv  *Server
	fsm  *setFSM
}

// testCluster runs raft servers over gossip on an in-memory network, with
// raft on real loopback TCP.
type testCluster struct {
	t       testing.TB
	net     *memnet.Network
	root    string
	opts    []Option
	members map[string]*member
	mu      sync.Mutex
}

func fastOptions() []Option {
	return []Option{
		WithLogger(quiet),
		WithTimeouts(200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond),
		WithReconcileInterval(50 * time.Millisecond),
		WithStabilization(300 * time.Millisecond),
		WithDeadServerTimeout(time.Hour),
		WithBindAddr("127.0.0.1:0"),
	}
}

func newTestCluster(t testing.TB, opts ...Option) *testCluster {
	c := &testCluster{t: t, net: memnet.New(1), root: t.TempDir(), opts: append(fastOptions(), opts...), members: map[string]*member{}}
	t.Cleanup(c.shutdownAll)
	return c
}

// start starts (or restarts, with the same data directory) member id and
// joins it to seed when seed is not empty.
func (c *testCluster) start(id, seed string, opts ...Option) *member {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[id]
	if m == nil {
		m = &member{id: id, dir: filepath.Join(c.root, id)}
		c.members[id] = m
	}
	c.mu.Unlock()
	m.gen++
	cfg := gossip.LocalConfig()
	cfg.ID = id
	cfg.Incarnation = uint64(m.gen)
	node, err := gossip.New(cfg, c.net.Transport(id), gossip.WithLogger(quiet))
	if err != nil {
		c.t.Fatal(err)
	}
	ctx := context.Background()
	if err := node.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	fsm := newSetFSM()
	srv, err := New(node, fsm, m.dir, append(slices.Clone(c.opts), opts...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	if seed != "" {
		jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := node.Join(jctx, seed); err != nil {
			c.t.Fatalf("join %s: %v", id, err)
		}
	}
	c.mu.Lock()
	m.node, m.srv, m.fsm = node, srv, fsm
	c.mu.Unlock()
	return m
}

// addr returns the gossip address of a running member.
func (c *testCluster) addr(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[id].node.LocalNode().Addr
}

// kill stops a member without leaving: raft first, then gossip.
func (c *testCluster) kill(id string) {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[id]
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		c.t.Errorf("shutdown raft %s: %v\n%s", id, err, raftStacks())
	}
	if err := m.node.Shutdown(ctx); err != nil {
		c.t.Errorf("shutdown gossip %s: %v", id, err)
	}
}

func (c *testCluster) running() []*member {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*member
	for _, m := range c.members {
		if m.srv != nil && m.srv.Addr() != "" {
			if _, err := m.srv.running(); err == nil {
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b *member) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	return out
}

// leader waits for one running server to be leader and returns it.
func (c *testCluster) leader(timeout time.Duration) *member {
	c.t.Helper()
	var found *member
	gossiptest.WaitFor(c.t, timeout, "a leader", func() bool {
		found = nil
		for _, m := range c.running() {
			if m.srv.IsLeader() {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// shutdownAll stops every member still running in any part (Shutdown is
// idempotent for both the server and the node).
func (c *testCluster) shutdownAll() {
	c.mu.Lock()
	var ids []string
	for id, m := range c.members {
		if m.node != nil {
			ids = append(ids, id)
		}
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.kill(id)
	}
}

// raftStacks returns the stacks of the goroutines in raft code, to show
// what a slow shutdown waits for.
func raftStacks() string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "hashicorp/raft") || strings.Contains(g, "cluster/raft") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// applyOnLeader applies value v on whichever server leads, again while the
// error says leadership moved (a loaded machine can make a cluster with
// fast timeouts change leaders).
func applyOnLeader(t testing.TB, c *testCluster, v uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.leader(20*time.Second).srv.Apply(ctx, cmd(v))
		cancel()
		if err == nil {
			return
		}
		if !(errors.Is(err, ErrNotLeader) || errors.Is(err, ErrLeadershipLost)) || time.Now().After(deadline) {
			t.Fatalf("apply %d: %v", v, err)
		}
	}
}

// voters returns the configuration as "id:v" / "id:n" strings, sorted.
func configString(servers []ServerInfo) []string {
	var out []string
	for _, s := range servers {
		k := "n"
		if s.Voter {
			k = "v"
		}
		out = append(out, s.ID+":"+k)
	}
	slices.Sort(out)
	return out
}
