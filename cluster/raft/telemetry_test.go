package raft

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func collectMetrics(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// TestTelemetry runs two servers, each with its own meter provider, and
// checks that the instruments move with the service: the leader counts
// its election and records an Apply (and its span, child of the caller's);
// both report the commit index; the follower reports its last contact.
func TestTelemetry(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(2))
	readers := map[string]*sdkmetric.ManualReader{}
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	for _, id := range []string{"s1", "s2"} {
		readers[id] = sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(readers[id]))
		t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		seed := ""
		if id == "s2" {
			seed = c.addr("s1")
		}
		c.start(id, seed, WithMeterProvider(mp), WithTracerProvider(tp))
	}
	var idx uint64
	var leader *member
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader = c.leader(20 * time.Second)
		ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")
		res, err := leader.srv.Apply(ctx, cmd(42))
		parent.End()
		if err == nil {
			idx = res.Index
			var found bool
			for _, s := range spans.GetSpans() {
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
	m := collectMetrics(t, readers[leader.id])
	h, _ := m["libgossip.raft.apply.duration"].(metricdata.Histogram[float64])
	var ok uint64
	for _, p := range h.DataPoints {
		if v, _ := p.Attributes.Value("result"); v.AsString() == "ok" {
			ok += p.Count
		}
	}
	if ok < 1 {
		t.Errorf("apply.duration recorded %d successful applies, want ≥ 1", ok)
	}
	changes, _ := m["libgossip.raft.leadership_changes"].(metricdata.Sum[int64])
	var won int64
	for _, p := range changes.DataPoints {
		if v, _ := p.Attributes.Value("leader"); v.AsBool() {
			won += p.Value
		}
	}
	if won < 1 {
		t.Errorf("leader counted %d leadership acquisitions, want ≥ 1", won)
	}
	follower := "s1"
	if leader.id == "s1" {
		follower = "s2"
	}
	waitFor(t, 20*time.Second, "the follower's commit index and last contact", func() bool {
		m := collectMetrics(t, readers[follower])
		ci, _ := m["libgossip.raft.commit_index"].(metricdata.Gauge[int64])
		lc, _ := m["libgossip.raft.last_contact"].(metricdata.Gauge[float64])
		return len(ci.DataPoints) == 1 && uint64(ci.DataPoints[0].Value) >= idx &&
			len(lc.DataPoints) == 1 && lc.DataPoints[0].Value >= 0
	})
}
