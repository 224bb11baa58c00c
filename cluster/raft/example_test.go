package raft_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// logFSM is a replicated append-only log of strings.
type logFSM struct {
	mu    sync.Mutex
	lines []string
}

func (f *logFSM) Apply(e raft.Entry) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, string(e.Data))
	return len(f.lines)
}

func (f *logFSM) Snapshot() (raft.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return snap(strings.Join(f.lines, "\n")), nil
}

func (f *logFSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = strings.Split(string(b), "\n")
	return nil
}

type snap string

func (s snap) Persist(w io.Writer) error { _, err := io.WriteString(w, string(s)); return err }
func (snap) Release()                    {}

// A single server with bootstrap-expect 1 bootstraps itself, becomes
// leader and applies commands.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	dir, _ := os.MkdirTemp("", "raft-example")
	defer os.RemoveAll(dir)

	cfg := gossip.LocalConfig()
	cfg.ID = "server-1"
	node, _ := gossip.New(cfg, memnet.New(1).Transport("server-1"), gossip.WithLogger(quiet))
	_ = node.Start(ctx)
	defer node.Shutdown(ctx)

	fsm := &logFSM{}
	srv, err := raft.New(node, fsm, dir,
		raft.WithBootstrapExpect(1),
		raft.WithBindAddr("127.0.0.1:0"),
		raft.WithTimeouts(100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond),
		raft.WithLogger(quiet))
	if err != nil {
		panic(err)
	}
	if err := srv.Start(ctx); err != nil {
		panic(err)
	}
	defer srv.Shutdown(ctx)

	fmt.Println("leader:", <-srv.LeaderCh())
	for _, line := range []string{"hello", "world"} {
		res, err := srv.Apply(ctx, []byte(line))
		if err != nil {
			panic(err)
		}
		fmt.Println("applied, lines:", res.Response)
	}
	// Output:
	// leader: true
	// applied, lines: 1
	// applied, lines: 2
}
