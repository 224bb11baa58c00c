package election

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/memnet"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// electionMetrics returns the leader changes (by self) and the token
// points of reader.
func electionMetrics(t *testing.T, r *sdkmetric.ManualReader) (self, other int64, tokens []int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if v, _ := p.Attributes.Value("self"); v.AsBool() {
						self += p.Value
					} else {
						other += p.Value
					}
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					tokens = append(tokens, p.Value)
				}
			}
		}
	}
	return self, other, tokens
}

// TestTelemetry: the member that wins counts a change to itself and
// reports its token; the other counts a change to another leader and
// reports the same token once it sees it; after Shutdown the token is no
// longer reported.
func TestTelemetry(t *testing.T) {
	net := memnet.New(1)
	r1, r2 := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	mp1, mp2 := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r1)), sdkmetric.NewMeterProvider(sdkmetric.WithReader(r2))
	t.Cleanup(func() { _ = mp1.Shutdown(context.Background()); _ = mp2.Shutdown(context.Background()) })
	a := startMember(t, net, "a", "", WithRank(0), WithMeterProvider(mp1))
	b := startMember(t, net, "b", a.node.LocalNode().Addr, WithRank(1), WithMeterProvider(mp2))
	waitFor(t, 10*time.Second, "both see a lead", func() bool {
		return a.el.Leader().Self && b.el.Leader().Leader == "a" && b.el.Leader().Token == a.el.Leader().Token
	})
	tok := int64(a.el.Leader().Token)
	if self, _, tokens := electionMetrics(t, r1); self < 1 || len(tokens) != 1 || tokens[0] != tok {
		t.Errorf("leader: %d changes to self, tokens %v; want ≥ 1 and [%d]", self, tokens, tok)
	}
	if _, other, tokens := electionMetrics(t, r2); other < 1 || len(tokens) != 1 || tokens[0] != tok {
		t.Errorf("follower: %d changes to another, tokens %v; want ≥ 1 and [%d]", other, tokens, tok)
	}
	if err := b.el.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, tokens := electionMetrics(t, r2); len(tokens) != 0 {
		t.Errorf("token still reported after Shutdown: %v", tokens)
	}
}
