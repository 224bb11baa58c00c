package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

var quiet = slog.New(slog.DiscardHandler)

// member is one gossip node plus its job node.
type tmember struct {
	id  string
	dir string
	gen int
	g   *gossip.Node
	n   *Node
	up  bool
}

// cluster runs job nodes over gossip on an in-memory network, with raft
// and the job API on loopback TCP.
type cluster struct {
	t       testing.TB
	net     *memnet.Network
	root    string
	expect  int
	mu      sync.Mutex
	members map[string]*tmember
	opts    []Option
}

func newCluster(t testing.TB, expect int, opts ...Option) *cluster {
	c := &cluster{t: t, net: memnet.New(1), root: t.TempDir(), expect: expect, members: map[string]*tmember{}, opts: opts}
	t.Cleanup(c.stopAll)
	return c
}

func testOptions(expect int) []Option {
	return []Option{
		WithLogger(quiet),
		WithTick(50 * time.Millisecond),
		WithDispatchTimeout(2 * time.Second),
		WithQueryGrace(time.Second),
		WithErrorHandler(func(error) {}),
		WithRaftOptions(
			raft.WithLogger(quiet),
			raft.WithBootstrapExpect(expect),
			raft.WithTimeouts(100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond),
			raft.WithReconcileInterval(50*time.Millisecond),
			raft.WithStabilization(300*time.Millisecond),
			raft.WithDeadServerTimeout(time.Hour),
			raft.WithBindAddr("127.0.0.1:0"),
		),
	}
}

// start starts (or restarts, same data) member id, joined to seed.
func (c *cluster) start(id, seed string) *tmember {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[id]
	if m == nil {
		m = &tmember{id: id, dir: filepath.Join(c.root, id)}
		c.members[id] = m
	}
	c.mu.Unlock()
	m.gen++
	cfg := gossip.LocalConfig()
	cfg.ID = id
	cfg.Incarnation = uint64(m.gen)
	g, err := gossip.New(cfg, c.net.Transport(id), gossip.WithLogger(quiet))
	if err != nil {
		c.t.Fatal(err)
	}
	ctx := context.Background()
	if err := g.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	n, err := New(g, m.dir, append(testOptions(c.expect), c.opts...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	if seed != "" {
		jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := g.Join(jctx, seed); err != nil {
			c.t.Fatalf("join %s: %v", id, err)
		}
	}
	c.mu.Lock()
	m.g, m.n, m.up = g, n, true
	c.mu.Unlock()
	return m
}

// startN starts n members m1..mn, each joined to m1.
func (c *cluster) startN(n int) {
	for i := 1; i <= n; i++ {
		seed := ""
		if i > 1 {
			seed = "m1"
		}
		c.start(fmt.Sprintf("m%d", i), seed)
	}
}

// kill stops a member without leaving.
func (c *cluster) kill(id string) {
	c.t.Helper()
	c.mu.Lock()
	m := c.members[id]
	up := m.up
	m.up = false
	c.mu.Unlock()
	if !up {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.n.Shutdown(ctx); err != nil {
		c.t.Errorf("shutdown job node %s: %v", id, err)
	}
	if err := m.g.Shutdown(ctx); err != nil {
		c.t.Errorf("shutdown gossip %s: %v", id, err)
	}
}

func (c *cluster) stopAll() {
	c.mu.Lock()
	var ids []string
	for id := range c.members {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.kill(id)
	}
}

func (c *cluster) up() []*tmember {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*tmember
	for _, m := range c.members {
		if m.up {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *tmember) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	return out
}

// leader waits for an up member to lead, with its scheduler's API known
// to every up member.
func (c *cluster) leader(timeout time.Duration) *tmember {
	c.t.Helper()
	var found *tmember
	gossiptest.WaitFor(c.t, timeout, "a leader", func() bool {
		found = nil
		for _, m := range c.up() {
			if m.n.Raft().IsLeader() {
				found = m
			}
		}
		if found == nil {
			return false
		}
		for _, m := range c.up() {
			if m.n.leaderAPI() != found.n.Addr() {
				return false
			}
		}
		return true
	})
	return found
}

// do sends an API request and decodes a JSON answer; a request that gets
// no answer fails t.
func do(t testing.TB, method, url string, body, out any) int {
	t.Helper()
	st, err := try(t, method, url, body, out)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return st
}

// try is do that returns the error of a request that got no answer (as
// one redirected to a leader that has just been stopped).
func try(t testing.TB, method, url string, body, out any) (int, error) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	cl := &http.Client{Timeout: 10 * time.Second}
	defer cl.CloseIdleConnections()
	res, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable {
		var e errorBody
		_ = json.NewDecoder(res.Body).Decode(&e)
		t.Logf("%s %s: 503 %s", method, url, e.Error)
	}
	if out != nil && res.StatusCode/100 == 2 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, url, err)
		}
	}
	return res.StatusCode, nil
}

// leaderDo is do for a request only a leader answers: while none is known
// (421), leadership moves under the request (503) or the request gets no
// answer (redirected to a leader just stopped), it is retried, for up to
// 30 s. unknown reports whether an attempt was answered 503 or not at all:
// its command may have been applied all the same.
func leaderDo(t testing.TB, method, url string, body, out any) (status int, unknown bool) {
	t.Helper()
	gossiptest.WaitFor(t, 30*time.Second, method+" "+url+" answered by a leader", func() bool {
		st, err := try(t, method, url, body, out)
		if err != nil {
			t.Logf("%s %s: %v (retrying)", method, url, err)
		}
		status = st
		unknown = unknown || err != nil || st == http.StatusServiceUnavailable
		return err == nil && st != http.StatusMisdirectedRequest && st != http.StatusServiceUnavailable
	})
	return status, unknown
}

// sink is the idempotency-checking target of HTTP jobs: it records every
// (job, scheduled time, node) it receives and counts duplicates.
type sink struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string][]string // run id -> nodes that ran it
	// pauseNext, if set, holds the next request from that node until
	// released: its executor is stuck mid-run.
	pauseNode string
	paused    chan string
	release   chan struct{}
}

func newSink(t testing.TB) *sink {
	s := &sink{seen: map[string][]string{}, paused: make(chan string, 1), release: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(func() {
		s.releaseAll()
		s.srv.Close()
	})
	return s
}

func (s *sink) handle(w http.ResponseWriter, r *http.Request) {
	id := job.RunID(r.Header.Get("X-Job-Name"), parseTime(r.Header.Get("X-Job-Scheduled")))
	node := r.Header.Get("X-Job-Node")
	s.mu.Lock()
	s.seen[id] = append(s.seen[id], node)
	pause := s.pauseNode != "" && s.pauseNode == node
	if pause {
		s.pauseNode = ""
	}
	s.mu.Unlock()
	if pause {
		s.paused <- id
		<-s.release
	}
	fmt.Fprintf(w, "ok %s on %s", id, node)
}

func (s *sink) pause(node string) {
	s.mu.Lock()
	s.pauseNode = node
	s.mu.Unlock()
}

func (s *sink) releaseAll() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func parseTime(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// stats returns the distinct runs and the duplicated ones.
func (s *sink) stats() (runs, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, nodes := range s.seen {
		runs++
		if len(nodes) > 1 {
			dups++
		}
	}
	return runs, dups
}

func (s *sink) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen[id]) > 0
}

func httpJob(name, url string) job.Spec {
	return job.Spec{Name: name, Schedule: "@every 1s", HTTP: &job.HTTPCall{URL: url}, Timeout: 10 * time.Second}
}

// putJob PUTs a job until it is accepted: a write whose outcome is unknown
// (leadership changing, or the request redirected to a leader that has
// just stopped) is retried, which PUT allows.
func putJob(t testing.TB, base string, s job.Spec) {
	t.Helper()
	gossiptest.WaitFor(t, 30*time.Second, "PUT "+s.Name, func() bool {
		st, err := try(t, "PUT", base+"/v1/jobs/"+s.Name, s, nil)
		if err != nil {
			t.Logf("PUT %s: %v (retrying)", s.Name, err)
		}
		return err == nil && st == http.StatusOK
	})
}
