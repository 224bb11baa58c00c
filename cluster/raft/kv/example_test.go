package kv_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/cluster/raft/kv"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// A one-server store: put, compare-and-set, and a linearizable read.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	dir, _ := os.MkdirTemp("", "kv-example")
	defer os.RemoveAll(dir)

	cfg := gossip.LocalConfig()
	cfg.ID = "server-1"
	node, _ := gossip.New(cfg, memnet.New(1).Transport("server-1"), gossip.WithLogger(quiet))
	_ = node.Start(ctx)
	defer node.Shutdown(ctx)

	st, err := kv.New(node, dir, kv.WithRaftOptions(
		raft.WithBootstrapExpect(1),
		raft.WithBindAddr("127.0.0.1:0"),
		raft.WithTimeouts(100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond),
		raft.WithLogger(quiet)))
	if err != nil {
		panic(err)
	}
	if err := st.Start(ctx); err != nil {
		panic(err)
	}
	defer st.Shutdown(ctx)
	<-st.Server().LeaderCh() // wait until this server leads

	v1, _ := st.Put(ctx, "config/mode", []byte("blue"))
	_, err = st.CompareAndSet(ctx, "config/mode", v1, []byte("green"))
	fmt.Println("first CAS:", err)
	_, err = st.CompareAndSet(ctx, "config/mode", v1, []byte("red"))
	fmt.Println("stale CAS conflicts:", err != nil)
	val, _, ok, _ := st.Get(ctx, "config/mode")
	fmt.Println(string(val), ok)
	// Output:
	// first CAS: <nil>
	// stale CAS conflicts: true
	// green true
}
