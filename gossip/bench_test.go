package gossip_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// BenchmarkMembers reads the membership of a 32-member cluster: a snapshot
// copy, with no round trip through the protocol goroutine.
func BenchmarkMembers(b *testing.B) {
	network := memnet.New(1)
	var nodes []*gossip.Node
	for i := range 32 {
		cfg := gossip.LocalConfig()
		cfg.ID = fmt.Sprintf("n%02d", i)
		cfg.Meta = map[string]string{"role": "bench"}
		n, err := gossip.New(cfg, network.Transport(cfg.ID), gossip.WithLogger(quiet))
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer n.Shutdown(context.Background())
		nodes = append(nodes, n)
	}
	for _, n := range nodes[1:] {
		if err := n.Join(context.Background(), "n00"); err != nil {
			b.Fatal(err)
		}
	}
	a := nodes[0]
	b.ReportAllocs()
	for b.Loop() {
		if len(a.Members()) == 0 {
			b.Fatal("no members")
		}
	}
}
