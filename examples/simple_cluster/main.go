// Command simple_cluster forms a full mesh of libgossip nodes on loopback
// by introducing every node to every other with Meet (no seeds), prints the
// membership each node sees, and shuts down.
//
//	go run ./simple_cluster            # 4 nodes
//	go run ./simple_cluster -nodes 6
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/libgossip/libgossip/examples/internal/example"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simple_cluster:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("simple_cluster", flag.ContinueOnError)
	size := fs.Int("nodes", 4, "number of nodes (at least 2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *size < 2 {
		return fmt.Errorf("need at least 2 nodes, got %d", *size)
	}
	quiet := example.Quiet()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	// 1. Create and start the nodes, each on its own loopback port.
	var nodes []*gossip.Node
	defer func() {
		for _, n := range nodes {
			_ = n.Shutdown(context.Background())
		}
	}()
	for i := range *size {
		tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(quiet))
		if err != nil {
			return err
		}
		cfg := gossip.LocalConfig()
		cfg.ID = fmt.Sprintf("node-%d", i+1)
		n, err := gossip.New(cfg, tr, gossip.WithLogger(quiet))
		if err != nil {
			return err
		}
		if err := n.Start(ctx); err != nil {
			return err
		}
		nodes = append(nodes, n)
		fmt.Fprintf(out, "started %s on %s\n", cfg.ID, n.LocalNode().Addr)
	}

	// 2. Full mesh: every node meets every other one.
	start := time.Now()
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				if err := a.Meet(b.LocalNode()); err != nil {
					return err
				}
			}
		}
	}
	err := example.WaitFor(10*time.Second, example.AllLive(*size, nodes...))
	if err != nil {
		return fmt.Errorf("cluster did not form: %w", err)
	}
	fmt.Fprintf(out, "full mesh of %d nodes formed in %v\n", *size, time.Since(start).Round(time.Millisecond))

	// 3. What each node sees.
	for _, n := range nodes {
		fmt.Fprintf(out, "%s sees:", n.LocalNode().ID)
		for _, m := range n.Members() {
			fmt.Fprintf(out, " %s(%s)", m.ID, m.State)
		}
		fmt.Fprintln(out)
	}
	return nil
}
