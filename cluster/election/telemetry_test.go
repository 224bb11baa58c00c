package election

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"go.opentelemetry.io/otel/attribute"
)

// TestTelemetry: the member that wins counts a change to itself and
// reports its token; the other counts a change to another leader and
// reports the same token once it sees it; after Shutdown the token is no
// longer reported.
func TestTelemetry(t *testing.T) {
	net := memnet.New(1)
	r1, r2 := clustertest.NewRecorder(), clustertest.NewRecorder()
	a := startMember(t, net, "a", "", WithRank(0), WithMeterProvider(r1))
	b := startMember(t, net, "b", a.node.LocalNode().Addr, WithRank(1), WithMeterProvider(r2))
	gossiptest.WaitFor(t, 10*time.Second, "both see a lead", func() bool {
		return a.el.Leader().Self && b.el.Leader().Leader == "a" && b.el.Leader().Token == a.el.Leader().Token
	})
	tok := float64(a.el.Leader().Token)
	name := attribute.String("libgossip.election.name", "sched")
	if n, _ := r1.Value("libgossip.election.leader_changes", name, attribute.Bool("self", true)); n < 1 {
		t.Errorf("leader counted %v changes to itself, want ≥ 1", n)
	}
	if v, ok := r1.Value("libgossip.election.token", name); !ok || v != tok {
		t.Errorf("leader's token gauge = %v, %v; want %v", v, ok, tok)
	}
	if n, _ := r2.Value("libgossip.election.leader_changes", name, attribute.Bool("self", false)); n < 1 {
		t.Errorf("follower counted %v changes to another leader, want ≥ 1", n)
	}
	if v, ok := r2.Value("libgossip.election.token", name); !ok || v != tok {
		t.Errorf("follower's token gauge = %v, %v; want %v", v, ok, tok)
	}
	if err := b.el.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := r2.Value("libgossip.election.token"); ok {
		t.Error("token still reported after Shutdown")
	}
}
