package gossip_test

import (
	"context"
	"fmt"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// A three-member cluster on an in-memory network: b and c join through a,
// and everyone sees everyone.
func Example() {
	ctx := context.Background()
	net := memnet.New(1)
	var nodes []*gossip.Node
	for _, id := range []string{"a", "b", "c"} {
		cfg := gossip.LocalConfig()
		cfg.ID = id
		cfg.Meta = map[string]string{"zone": "eu"}
		n, err := gossip.New(cfg, net.Transport(id), gossip.WithLogger(quiet))
		if err != nil {
			panic(err)
		}
		if err := n.Start(ctx); err != nil {
			panic(err)
		}
		defer n.Shutdown(ctx)
		nodes = append(nodes, n)
	}
	for _, n := range nodes[1:] {
		if err := n.Join(ctx, "a"); err != nil {
			panic(err)
		}
	}
	// Wait (bounded) until every member sees three alive.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && len(nodes[1].LiveMembers()) < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	for _, v := range nodes[1].LiveMembers() {
		fmt.Println(v.ID, v.State, v.Meta["zone"])
	}
	// Output:
	// a alive eu
	// b alive eu
	// c alive eu
}
