package kv_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/libgossip/libgossip/cluster/kv"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// A member's store: writes are visible at once on the member that made
// them and spread to the others by gossip and anti-entropy.
func Example() {
	cfg := gossip.LocalConfig()
	cfg.ID = "a"
	node, _ := gossip.New(cfg, memnet.New(1).Transport("a:1"), gossip.WithLogger(slog.New(slog.DiscardHandler)))
	ctx := context.Background()
	_ = node.Start(ctx)
	defer node.Shutdown(ctx)

	store, err := kv.New(node, kv.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	_ = store.Start(ctx)
	defer store.Shutdown(ctx)

	w := store.Watch("app/", 8)
	store.Put("app/color", []byte("blue"))
	store.Put("app/size", []byte("xl"))
	store.Delete("app/size")
	v, _, _ := store.Get("app/color")
	fmt.Printf("app/color = %s\n", v)
	for _, e := range store.List("app/") {
		fmt.Println("listed", e.Key)
	}
	for range 3 {
		ch := <-w.C
		fmt.Println("changed", ch.Entry.Key, "deleted:", ch.Entry.Deleted)
	}
	_, err = store.Put("app/huge", make([]byte, 1<<20))
	fmt.Println(err != nil)
	// Output:
	// app/color = blue
	// listed app/color
	// changed app/color deleted: false
	// changed app/size deleted: false
	// changed app/size deleted: true
	// true
}
