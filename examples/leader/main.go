// Command leader runs Raft on gossip: three servers form a cluster on
// loopback with no manual bootstrap (bootstrap-expect 3), a client writes
// to a strongly consistent key/value store, the leader is killed, a new
// one is elected, and every acknowledged write is checked on the new
// leader.
//
//	go run ./leader                 # 3 servers, 1 kill
//	go run ./leader -kills 3 -servers 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/cluster/raft/kv"
	"github.com/libgossip/libgossip/examples/internal/example"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "leader:", err)
		os.Exit(1)
	}
}

// server is one gossip member running a raft-backed store.
type server struct {
	id    string
	node  *gossip.Node
	store *kv.Store
}

func (s *server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.store.Shutdown(ctx)
	_ = s.node.Shutdown(ctx)
}

func startServer(ctx context.Context, id, dir string, expect int, seed string, log *slog.Logger) (*server, error) {
	tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(log))
	if err != nil {
		return nil, err
	}
	cfg := gossip.LocalConfig()
	cfg.ID = id
	node, err := gossip.New(cfg, tr, gossip.WithLogger(log))
	if err != nil {
		return nil, err
	}
	if err := node.Start(ctx); err != nil {
		return nil, err
	}
	st, err := kv.New(node, filepath.Join(dir, id), kv.WithRaftOptions(
		raft.WithBootstrapExpect(expect),
		raft.WithBindAddr("127.0.0.1:0"),
		raft.WithTimeouts(200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond),
		raft.WithReconcileInterval(100*time.Millisecond),
		raft.WithStabilization(time.Second),
		raft.WithLogger(log),
	))
	if err == nil {
		err = st.Start(ctx)
	}
	if err != nil {
		_ = node.Shutdown(ctx)
		return nil, err
	}
	s := &server{id: id, node: node, store: st}
	if seed != "" {
		if err := node.Join(ctx, seed); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

// cluster is the set of running servers.
type cluster struct {
	mu      sync.Mutex
	servers []*server
}

func (c *cluster) leader() *server {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.servers {
		if s.store.Server().IsLeader() {
			return s
		}
	}
	return nil
}

func (c *cluster) remove(s *server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers = slices.DeleteFunc(c.servers, func(x *server) bool { return x == s })
}

func waitLeader(c *cluster, timeout time.Duration) (*server, error) {
	var l *server
	if err := example.WaitFor(timeout, func() bool { l = c.leader(); return l != nil }); err != nil {
		return nil, fmt.Errorf("no leader elected: %w", err)
	}
	return l, nil
}

// client writes key-0001, key-0002, ... to whichever server leads,
// retrying each write until it is acknowledged.
type client struct {
	mu    sync.Mutex
	acked []string
}

func (cl *client) run(ctx context.Context, c *cluster) {
	for i := 1; ; i++ {
		key := fmt.Sprintf("key-%05d", i)
		for {
			if ctx.Err() != nil {
				return
			}
			l := c.leader()
			if l == nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := l.store.Put(wctx, key, []byte(fmt.Sprint(i)))
			cancel()
			if err == nil {
				cl.mu.Lock()
				cl.acked = append(cl.acked, key)
				cl.mu.Unlock()
				break
			}
		}
	}
}

func (cl *client) count() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return len(cl.acked)
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("leader", flag.ContinueOnError)
	n := fs.Int("servers", 3, "number of servers (bootstrap-expect)")
	kills := fs.Int("kills", 1, "how many times to kill the leader")
	dirFlag := fs.String("dir", "", "data directory (default: a temporary one, removed at exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 3 || *kills < 1 {
		return fmt.Errorf("need at least 3 servers and 1 kill (servers=%d kills=%d)", *n, *kills)
	}
	if *kills > (*n-1)/2 {
		return fmt.Errorf("%d servers survive only %d kills with a quorum, asked for %d", *n, (*n-1)/2, *kills)
	}
	dir := *dirFlag
	if dir == "" {
		d, err := os.MkdirTemp("", "leader-example")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	quiet := example.Quiet()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// 1. Start the servers; each joins the first through gossip. Nobody
	// bootstraps by hand: the lowest id does once it sees all of them.
	c := &cluster{}
	defer func() {
		for _, s := range c.servers {
			s.stop()
		}
	}()
	seed := ""
	start := time.Now()
	for i := 1; i <= *n; i++ {
		s, err := startServer(ctx, fmt.Sprintf("server-%d", i), dir, *n, seed, quiet)
		if err != nil {
			return err
		}
		c.servers = append(c.servers, s)
		if seed == "" {
			seed = s.node.LocalNode().Addr
		}
	}
	l, err := waitLeader(c, 30*time.Second)
	if err != nil {
		return err
	}
	servers, err := l.store.Server().Servers(ctx)
	if err != nil {
		return err
	}
	var voters []string
	for _, s := range servers {
		if s.Voter {
			voters = append(voters, s.ID)
		}
	}
	sort.Strings(voters)
	fmt.Fprintf(out, "cluster formed unattended in %v: leader %s, voters %v\n", time.Since(start).Round(time.Millisecond), l.id, voters)

	// 2. A client writes continuously, retrying through failovers.
	cl := &client{}
	cctx, stopClient := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); cl.run(cctx, c) }()
	defer func() { stopClient(); wg.Wait() }()

	// 3. Kill the leader (no graceful leave), and watch a new one take over.
	for k := 0; k < *kills; k++ {
		base := cl.count()
		for cl.count() < base+50 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		old := c.leader()
		if old == nil {
			if old, err = waitLeader(c, 30*time.Second); err != nil {
				return err
			}
		}
		t0 := time.Now()
		c.remove(old)
		old.stop()
		fmt.Fprintf(out, "killed leader %s after %d acknowledged writes\n", old.id, cl.count())
		nl, err := waitLeader(c, 30*time.Second)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "new leader %s elected in %v\n", nl.id, time.Since(t0).Round(time.Millisecond))
	}
	base := cl.count()
	for cl.count() < base+50 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	stopClient()
	wg.Wait()

	// 4. Every acknowledged write is on the leader (linearizable reads).
	l, err = waitLeader(c, 30*time.Second)
	if err != nil {
		return err
	}
	entries, err := l.store.List(ctx, "key-")
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Key] = true
	}
	lost := 0
	for _, k := range cl.acked {
		if !have[k] {
			lost++
		}
	}
	fmt.Fprintf(out, "%d acknowledged writes, %d lost, %d keys on leader %s\n", len(cl.acked), lost, len(entries), l.id)
	if lost > 0 {
		return fmt.Errorf("%d acknowledged writes lost", lost)
	}
	return nil
}
