package clustertest_test

import (
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestMemnetAndLoopback(t *testing.T) {
	c := clustertest.Memnet(t, 3, func(cfg *gossip.Config) { cfg.Meta = map[string]string{"k": "v"} })
	if !clustertest.AllSee(c.Nodes, 3) || c.Nodes[0].LocalNode().Meta["k"] != "v" {
		t.Fatal("memnet cluster not formed or not configured")
	}
	if clustertest.Eventually(20*time.Millisecond, func() bool { return false }) {
		t.Error("Eventually of a false condition")
	}
	a := clustertest.Start(t, clustertest.Config("la"), clustertest.Loopback(t, 0))
	b := clustertest.Start(t, clustertest.Config("lb"), clustertest.Loopback(t, 0))
	if err := b.Join(t.Context(), a.LocalNode().Addr); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitMembers(t, 10*time.Second, []*gossip.Node{a, b}, 2)
	clustertest.Stop(t, b)
}
