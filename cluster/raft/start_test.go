package raft

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func startedNode(t *testing.T, net *memnet.Network, id string, meta map[string]string) *gossip.Node {
	t.Helper()
	cfg := gossip.LocalConfig()
	cfg.ID = id
	cfg.Meta = meta
	n, err := gossip.New(cfg, net.Transport(id), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n
}

// Start fails cleanly, with nothing left open, when it cannot get its
// resources.
func TestStartFailures(t *testing.T) {
	net := memnet.New(1)
	node := startedNode(t, net, "a", nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name string
		dir  string
		opts []Option
	}{
		{"data dir is a file", file, nil},
		{"data dir under a file", filepath.Join(file, "x"), nil},
		{"bad bind address", filepath.Join(dir, "bind"), []Option{WithBindAddr("256.0.0.1:99999")}},
		{"bad advertise address", filepath.Join(dir, "adv"), []Option{WithAdvertiseAddr("nohost")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(node, newSetFSM(), tt.dir, append(fastOptions(), tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(ctx); err == nil {
				t.Fatal("Start succeeded")
			}
			if _, err := s.Apply(ctx, cmd(1)); !errors.Is(err, ErrNotRunning) {
				t.Errorf("Apply after failed Start: %v", err)
			}
		})
	}
	// A cancelled context starts nothing.
	s, err := New(node, newSetFSM(), filepath.Join(dir, "ctx"), fastOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Start(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Start(cancelled): %v", err)
	}
	// Two servers cannot share a data directory: the second times out on
	// the store's lock.
	shared := filepath.Join(dir, "shared")
	s1, err := New(node, newSetFSM(), shared, fastOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s1.Shutdown(ctx)
	s2, _ := New(node, newSetFSM(), shared, fastOptions()...)
	if err := s2.Start(ctx); err == nil {
		t.Fatal("second server on one data directory started")
	}
}

// A member whose raft tag is malformed is reported once and ignored; a
// command that outlives its context reports the context's error.
func TestBadTagAndContext(t *testing.T) {
	errs := make(chan error, 16)
	c := newTestCluster(t, WithBootstrapExpect(1), WithErrorHandler(func(err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	m := c.start("a", "")
	c.leader(20 * time.Second)
	bad := startedNode(t, c.net, "z", map[string]string{TagAddr: "no-port", TagState: stateFresh})
	jctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bad.Join(jctx, "a"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ErrTag) {
			t.Fatalf("reported %v, want ErrTag", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("bad tag not reported")
	}
	// A fresh context: the join's may have run out while the report
	// was awaited.
	ctx, cancel3 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel3()
	servers, err := m.srv.Servers(ctx)
	if err != nil || len(servers) != 1 {
		t.Fatalf("configuration %v, %v: the bad member must not be added", servers, err)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := m.srv.Apply(done, cmd(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply(cancelled ctx): %v", err)
	}
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if err := m.srv.Barrier(past); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Barrier(expired ctx): %v", err)
	}
	res, err := m.srv.Apply(ctx, cmd(2))
	if err != nil {
		t.Fatal(err)
	}
	gossiptest.WaitFor(t, 10*time.Second, "AppliedIndex to reach the applied command", func() bool { return m.srv.AppliedIndex() >= res.Index })
}
