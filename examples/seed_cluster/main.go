// Command seed_cluster starts seed nodes, then joins further nodes to the
// cluster through the seeds' addresses only (a full-state exchange with a
// seed, then gossip), and reports how quickly every node knew every other.
//
//	go run ./seed_cluster                    # 2 seeds, 6 nodes in all
//	go run ./seed_cluster -seeds 1 -nodes 10
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/libgossip/libgossip/examples/internal/example"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed_cluster:", err)
		os.Exit(1)
	}
}

func newNode(ctx context.Context, id string, log *slog.Logger) (*gossip.Node, error) {
	tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(log))
	if err != nil {
		return nil, err
	}
	cfg := gossip.LocalConfig()
	cfg.ID = id
	n, err := gossip.New(cfg, tr, gossip.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return n, n.Start(ctx)
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed_cluster", flag.ContinueOnError)
	seeds := fs.Int("seeds", 2, "number of seed nodes")
	size := fs.Int("nodes", 6, "total number of nodes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *seeds < 1 || *size <= *seeds {
		return fmt.Errorf("need at least 1 seed and more nodes than seeds (seeds=%d nodes=%d)", *seeds, *size)
	}
	quiet := example.Quiet()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	var nodes []*gossip.Node
	defer func() {
		for _, n := range nodes {
			_ = n.Shutdown(context.Background())
		}
	}()

	// 1. The seeds: the first meets the others so they form one cluster.
	var seedAddrs []string
	for i := range *seeds {
		n, err := newNode(ctx, fmt.Sprintf("seed-%d", i+1), quiet)
		if n != nil {
			nodes = append(nodes, n)
		}
		if err != nil {
			return err
		}
		seedAddrs = append(seedAddrs, n.LocalNode().Addr)
		if i > 0 {
			if err := n.Join(ctx, seedAddrs[0]); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, "seeds: %v\n", seedAddrs)

	// 2. Every other node knows only the seed addresses.
	start := time.Now()
	for i := *seeds; i < *size; i++ {
		n, err := newNode(ctx, fmt.Sprintf("node-%d", i+1), quiet)
		if n != nil {
			nodes = append(nodes, n)
		}
		if err != nil {
			return err
		}
		t0 := time.Now()
		if err := n.Join(ctx, seedAddrs...); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s joined through the seeds in %v, knows %d members\n",
			n.LocalNode().ID, time.Since(t0).Round(10*time.Microsecond), len(n.LiveMembers()))
	}

	// 3. Gossip spreads every join to every node.
	err := example.WaitFor(15*time.Second, example.AllLive(*size, nodes...))
	if err != nil {
		return fmt.Errorf("cluster did not converge: %w", err)
	}
	fmt.Fprintf(out, "all %d nodes know all %d members after %v\n", *size, *size, time.Since(start).Round(time.Millisecond))
	last := nodes[len(nodes)-1]
	fmt.Fprintf(out, "%s sees:", last.LocalNode().ID)
	for _, m := range last.Members() {
		fmt.Fprintf(out, " %s", m.ID)
	}
	fmt.Fprintln(out)
	return nil
}
