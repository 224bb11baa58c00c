package raft

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"go.opentelemetry.io/otel/attribute"
)

// TestTelemetry runs two servers, each with its own recorder, and checks
// that the instruments move with the service: the leader counts its
// election and records an Apply (and its span, child of the caller's);
// the follower reports the commit index and its last contact.
func TestTelemetry(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(2))
	recs := map[string]*clustertest.Recorder{}
	for _, id := range []string{"s1", "s2"} {
		recs[id] = clustertest.NewRecorder()
		seed := ""
		if id == "s2" {
			seed = c.addr("s1")
		}
		c.start(id, seed, WithMeterProvider(recs[id]), WithTracerProvider(recs[id]))
	}
	var idx uint64
	var leader *member
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader = c.leader(20 * time.Second)
		rec := recs[leader.id]
		ctx, parent := rec.Tracer("test").Start(context.Background(), "caller")
		res, err := leader.srv.Apply(ctx, cmd(42))
		parent.End()
		if err == nil {
			idx = res.Index
			found := false
			for _, s := range rec.Spans() {
				if s.Name == "libgossip.raft.apply" && s.Parent.SpanID() == parent.SpanContext().SpanID() {
					found = true
				}
			}
			if !found {
				t.Error("no libgossip.raft.apply span under the caller's span")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("apply: %v", err)
		}
	}
	rec := recs[leader.id]
	if n := rec.Count("libgossip.raft.apply.duration", attribute.String("result", "ok")); n < 1 {
		t.Errorf("apply.duration recorded %d successful applies, want ≥ 1", n)
	}
	if n, _ := rec.Value("libgossip.raft.leadership_changes", attribute.Bool("leader", true)); n < 1 {
		t.Errorf("leader counted %v leadership acquisitions, want ≥ 1", n)
	}
	if v, ok := rec.Value("libgossip.raft.last_contact"); !ok || v != 0 {
		t.Errorf("leader's last_contact = %v, %v; want 0, true", v, ok)
	}
	follower := "s1"
	if leader.id == "s1" {
		follower = "s2"
	}
	gossiptest.WaitFor(t, 20*time.Second, "the follower's commit index and last contact", func() bool {
		ci, ok := recs[follower].Value("libgossip.raft.commit_index")
		_, lc := recs[follower].Value("libgossip.raft.last_contact")
		return ok && uint64(ci) >= idx && lc
	})
	c.kill(follower)
	if _, ok := recs[follower].Value("libgossip.raft.commit_index"); ok {
		t.Error("commit_index still observed after Shutdown")
	}
}
