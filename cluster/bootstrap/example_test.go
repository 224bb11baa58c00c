package bootstrap_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/cluster/bootstrap"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func ExampleParseSeed() {
	for _, s := range []string{"10.0.0.1:7946", "dns+gossip.default.svc:7946", "dnssrv+_gossip._tcp.example.com"} {
		sd, _ := bootstrap.ParseSeed(s)
		fmt.Printf("kind %d host %s port %d service %q\n", sd.Kind, sd.Host, sd.Port, sd.Service)
	}
	// Output:
	// kind 1 host 10.0.0.1 port 7946 service ""
	// kind 2 host gossip.default.svc port 7946 service ""
	// kind 3 host example.com port 0 service "gossip"
}

// A second member joins the first through its seed and waits until both
// expected members are seen.
func Example() {
	net := memnet.New(1)
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	start := func(id string) *gossip.Node {
		cfg := gossip.LocalConfig()
		cfg.ID = id
		n, _ := gossip.New(cfg, net.Transport(id+":7946"), gossip.WithLogger(quiet))
		_ = n.Start(ctx)
		return n
	}
	a, b := start("a"), start("b")
	defer a.Shutdown(ctx)
	defer b.Shutdown(ctx)

	boot, _ := bootstrap.New(b, bootstrap.WithSeeds("a:7946"), bootstrap.WithExpect(2), bootstrap.WithLogger(quiet))
	_ = boot.Start(ctx)
	defer boot.Shutdown(ctx)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := boot.WaitReady(wctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ready with", len(b.LiveMembers()), "members")
	// Output: ready with 2 members
}
