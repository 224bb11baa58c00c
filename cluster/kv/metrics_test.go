package kv_test

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/kv"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// sumOf collects reader and returns the value of the int64 sum or gauge
// named name for the data point whose "result" attribute is result (any
// point when result is ""), summed over matching points.
func sumOf(t *testing.T, r *sdkmetric.ManualReader, name, result string) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var total int64
	found := false
	match := func(set attribute.Set) bool {
		if result == "" {
			return true
		}
		v, ok := set.Value("result")
		return ok && v.AsString() == result
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if match(p.Attributes) {
						total, found = total+p.Value, true
					}
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					if match(p.Attributes) {
						total, found = total+p.Value, true
					}
				}
			}
		}
	}
	return total, found
}

// TestInstrumentsMove checks the kv instruments through the public API:
// a put on one member shows as an applied merge, a key and bytes at its
// peer, and the peers' anti-entropy exchanges are counted.
func TestInstrumentsMove(t *testing.T) {
	c := clustertest.Memnet(t, 2, nil)
	r0, r1 := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	mp0, mp1 := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r0)), sdkmetric.NewMeterProvider(sdkmetric.WithReader(r1))
	t.Cleanup(func() { _ = mp0.Shutdown(context.Background()); _ = mp1.Shutdown(context.Background()) })
	k0 := startKV(t, c.Nodes[0], kv.WithMeterProvider(mp0))
	k1 := startKV(t, c.Nodes[1], kv.WithMeterProvider(mp1))
	if n, ok := sumOf(t, r1, "libgossip.kv.keys", ""); !ok || n != 0 {
		t.Fatalf("keys before any put = %d, %v; want 0, true", n, ok)
	}
	if _, err := k0.Put("app/color", []byte("blue")); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 10*time.Second, "the put at the peer", func() bool {
		_, _, ok := k1.Get("app/color")
		return ok
	})
	if n, _ := sumOf(t, r1, "libgossip.kv.merges", "applied"); n < 1 {
		t.Errorf("applied merges at the peer = %d, want ≥ 1", n)
	}
	if n, _ := sumOf(t, r1, "libgossip.kv.keys", ""); n != 1 {
		t.Errorf("keys at the peer = %d, want 1", n)
	}
	if n, _ := sumOf(t, r1, "libgossip.kv.bytes", ""); n <= 0 {
		t.Errorf("bytes at the peer = %d, want > 0", n)
	}
	if n, _ := sumOf(t, r0, "libgossip.kv.merges", "applied"); n != 0 {
		t.Errorf("applied merges at the writer = %d, want 0 (its own put is not a merge)", n)
	}
	clustertest.WaitFor(t, 10*time.Second, "an anti-entropy exchange counted", func() bool {
		n, _ := sumOf(t, r0, "libgossip.kv.syncs", "ok")
		return n >= 1
	})
	// After Shutdown the callback is gone: the gauges are no longer observed.
	if err := k1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := sumOf(t, r1, "libgossip.kv.keys", ""); ok {
		t.Error("keys still observed after Shutdown")
	}
}
