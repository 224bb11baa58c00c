package election_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/cluster/election"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// Two members stand in election "scheduler"; the lower rank leads, and
// both agree.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	net := memnet.New(1)
	var els []*election.Election
	for i, id := range []string{"a", "b"} {
		cfg := gossip.LocalConfig()
		cfg.ID = id
		node, _ := gossip.New(cfg, net.Transport(id), gossip.WithLogger(quiet))
		_ = node.Start(ctx)
		defer node.Shutdown(ctx)
		el, err := election.New(node, "scheduler", election.WithRank(i), election.WithLogger(quiet))
		if err != nil {
			panic(err)
		}
		_ = el.Start(ctx)
		defer el.Shutdown(ctx)
		if id == "b" {
			_ = node.Join(ctx, "a")
		}
		els = append(els, el)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (els[1].Leader().Leader != "a" || els[1].Leader().Token != els[0].Leader().Token) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, el := range els {
		l := el.Leader()
		fmt.Println(l.Leader, l.Self)
	}
	// Output:
	// a true
	// a false
}
