package gossip_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// Presets by name, as a command-line flag would give them.
func ExamplePreset() {
	for _, name := range []string{"local", "WAN", "metro"} {
		cfg, err := gossip.Preset(name)
		if err != nil {
			fmt.Println(errors.Is(err, gossip.ErrUnknownPreset), err)
			continue
		}
		fmt.Println(name, cfg.ProbeInterval)
	}
	// Output:
	// local 200ms
	// WAN 5s
	// true gossip: unknown preset "metro" (want lan, wan, local)
}

// A lossless subscription queues what its reader has not taken yet, up to
// a bound, instead of dropping it; past the bound it is closed and Err
// says why.
func ExampleNode_Subscribe_lossless() {
	ctx := context.Background()
	net := memnet.New(1)
	var nodes []*gossip.Node
	for _, id := range []string{"a", "b"} {
		cfg := gossip.LocalConfig()
		cfg.ID = id
		n, _ := gossip.New(cfg, net.Transport(id), gossip.WithLogger(quiet))
		_ = n.Start(ctx)
		defer n.Shutdown(ctx)
		nodes = append(nodes, n)
	}
	sub := nodes[0].Subscribe(1, gossip.Lossless(1000))
	_ = nodes[1].Join(ctx, "a")
	for i := range 3 {
		_ = nodes[1].Broadcast(fmt.Appendf(nil, "msg %d", i))
	}
	var got []string
	for len(got) < 3 {
		if e := <-sub.C; e.Type == gossip.EventUser {
			got = append(got, string(e.Payload))
		}
	}
	slices.Sort(got) // gossip does not keep broadcasts in order
	fmt.Println(strings.Join(got, "\n"))
	fmt.Println("dropped:", sub.Dropped(), "err:", sub.Err())
	// Output:
	// msg 0
	// msg 1
	// msg 2
	// dropped: 0 err: <nil>
}
