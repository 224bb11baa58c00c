package kv_test

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/kv"
	"go.opentelemetry.io/otel/attribute"
)

func result(s string) attribute.KeyValue { return attribute.String("result", s) }

// TestInstrumentsMove checks the kv instruments through the public API:
// a put on one member shows as an applied merge, a key and bytes at its
// peer, and the peers' anti-entropy exchanges are counted.
func TestInstrumentsMove(t *testing.T) {
	c := clustertest.Memnet(t, 2, nil)
	r0, r1 := clustertest.NewRecorder(), clustertest.NewRecorder()
	k0 := startKV(t, c.Nodes[0], kv.WithMeterProvider(r0))
	k1 := startKV(t, c.Nodes[1], kv.WithMeterProvider(r1))
	if n, ok := r1.Value("libgossip.kv.keys"); !ok || n != 0 {
		t.Fatalf("keys before any put = %v, %v; want 0, true", n, ok)
	}
	if _, err := k0.Put("app/color", []byte("blue")); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 10*time.Second, "the put at the peer", func() bool {
		_, _, ok := k1.Get("app/color")
		return ok
	})
	if n, _ := r1.Value("libgossip.kv.merges", result("applied")); n < 1 {
		t.Errorf("applied merges at the peer = %v, want ≥ 1", n)
	}
	if n, _ := r1.Value("libgossip.kv.keys"); n != 1 {
		t.Errorf("keys at the peer = %v, want 1", n)
	}
	if n, _ := r1.Value("libgossip.kv.bytes"); n <= 0 {
		t.Errorf("bytes at the peer = %v, want > 0", n)
	}
	if n, _ := r0.Value("libgossip.kv.merges", result("applied")); n != 0 {
		t.Errorf("applied merges at the writer = %v, want 0 (its own put is not a merge)", n)
	}
	clustertest.WaitFor(t, 10*time.Second, "an anti-entropy exchange counted", func() bool {
		n, _ := r0.Value("libgossip.kv.syncs", result("ok"))
		return n >= 1
	})
	// After Shutdown the callback is gone: the gauges are no longer observed.
	if err := k1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := r1.Value("libgossip.kv.keys"); ok {
		t.Error("keys still observed after Shutdown")
	}
}
