// Command config_sync shows the replicated configuration store
// (cluster/kv) on three members over loopback: a put on one member
// appears on all; a member that was offline while a key was written
// catches up when it comes back. The restarted member finds the cluster
// again from its peer snapshot file alone (cluster/bootstrap), with no
// seed.
//
//	go run ./config_sync
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/libgossip/libgossip/cluster/bootstrap"
	"github.com/libgossip/libgossip/cluster/kv"
	"github.com/libgossip/libgossip/examples/internal/example"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "config_sync:", err)
		os.Exit(1)
	}
}

// member is one running process's worth: a gossip node, its bootstrap
// and its replicated store.
type member struct {
	id   string
	node *gossip.Node
	boot *bootstrap.Bootstrapper
	kv   *kv.KV
}

// starts counts member starts in this process.
var starts uint64

func start(ctx context.Context, id, dir string, log *slog.Logger, seeds ...string) (*member, error) {
	tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(log))
	if err != nil {
		return nil, err
	}
	cfg := gossip.LocalConfig()
	cfg.ID = id
	// A restart within the same second must still outrank the member's
	// old records (the runtime's default is the wall clock in seconds).
	starts++
	cfg.Incarnation = uint64(time.Now().Unix())<<4 + starts
	n, err := gossip.New(cfg, tr, gossip.WithLogger(log))
	if err != nil {
		return nil, err
	}
	if err := n.Start(ctx); err != nil {
		return nil, err
	}
	m := &member{id: id, node: n}
	m.boot, err = bootstrap.New(n, bootstrap.WithSeeds(seeds...), bootstrap.WithLogger(log),
		bootstrap.WithSnapshot(filepath.Join(dir, id+".peers")), bootstrap.WithSyncInterval(100*time.Millisecond))
	if err == nil {
		err = m.boot.Start(ctx)
	}
	if err == nil {
		m.kv, err = kv.New(n, kv.WithLogger(log), kv.WithSyncInterval(500*time.Millisecond))
	}
	if err == nil {
		err = m.kv.Start(ctx)
	}
	if err != nil {
		m.stop()
		return nil, err
	}
	return m, nil
}

func (m *member) stop() {
	ctx := context.Background()
	if m.kv != nil {
		_ = m.kv.Shutdown(ctx)
	}
	if m.boot != nil {
		_ = m.boot.Shutdown(ctx)
	}
	_ = m.node.Shutdown(ctx)
}

// waitFor is example.WaitFor with an error naming what was awaited.
func waitFor(timeout time.Duration, what string, cond func() bool) error {
	if err := example.WaitFor(timeout, cond); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

func hasValue(m *member, key, want string) bool {
	v, _, ok := m.kv.Get(key)
	return ok && string(v) == want
}

func run(args []string, out io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("no arguments expected, got %v", args)
	}
	dir, err := os.MkdirTemp("", "config_sync")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := example.Quiet()
	ctx := context.Background()

	// 1. Three members: a first one, and two joining through it.
	a, err := start(ctx, "node-a", dir, quiet)
	if err != nil {
		return err
	}
	defer a.stop()
	b, err := start(ctx, "node-b", dir, quiet, a.node.LocalNode().Addr)
	if err != nil {
		return err
	}
	defer b.stop()
	c, err := start(ctx, "node-c", dir, quiet, a.node.LocalNode().Addr)
	if err != nil {
		return err
	}
	all := []*member{a, b, c}
	if err := waitFor(20*time.Second, "three members", func() bool {
		for _, m := range all {
			if len(m.node.LiveMembers()) != 3 || len(m.boot.Peers()) != 2 {
				return false
			}
		}
		return true
	}); err != nil {
		c.stop()
		return err
	}
	fmt.Fprintln(out, "three members formed: node-a node-b node-c")

	// 2. A put on one member appears on all.
	begin := time.Now()
	if _, err := a.kv.Put("app/color", []byte("blue")); err != nil {
		c.stop()
		return err
	}
	fmt.Fprintln(out, "node-a put app/color=blue")
	if err := waitFor(20*time.Second, "app/color everywhere", func() bool {
		return hasValue(b, "app/color", "blue") && hasValue(c, "app/color", "blue")
	}); err != nil {
		c.stop()
		return err
	}
	fmt.Fprintf(out, "node-b and node-c see app/color=blue (after %v)\n", time.Since(begin).Round(time.Millisecond))

	// 3. node-c goes offline; a key is written while it is away.
	c.stop()
	fmt.Fprintln(out, "node-c stopped")
	if _, err := b.kv.Put("app/limit", []byte("100")); err != nil {
		return err
	}
	fmt.Fprintln(out, "node-b put app/limit=100 while node-c was offline")

	// 4. node-c comes back with no seed: its snapshot file names its
	// peers. Its store starts empty and catches up by anti-entropy.
	begin = time.Now()
	c, err = start(ctx, "node-c", dir, quiet)
	if err != nil {
		return err
	}
	defer c.stop()
	if err := waitFor(20*time.Second, "node-c to catch up", func() bool {
		return hasValue(c, "app/limit", "100") && hasValue(c, "app/color", "blue")
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "node-c rejoined from its snapshot and caught up: app/color=blue app/limit=100 (after %v)\n",
		time.Since(begin).Round(time.Millisecond))
	if a.kv.Hash() != c.kv.Hash() || b.kv.Hash() != c.kv.Hash() {
		if err := waitFor(10*time.Second, "identical stores", func() bool {
			return a.kv.Hash() == c.kv.Hash() && b.kv.Hash() == c.kv.Hash()
		}); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "all three stores identical")
	return nil
}
