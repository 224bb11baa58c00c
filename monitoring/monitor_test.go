package monitoring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/monitoring"
)

func TestInstrumentNil(t *testing.T) {
	if _, err := monitoring.Instrument(nil); err == nil {
		t.Error("Instrument(nil) succeeded")
	}
}

// TestRecentRing keeps the last events only, oldest first, and wakes
// Changed waiters.
func TestRecentRing(t *testing.T) {
	c := newCluster(t, 4, clusterOpts{monOpts: func(int) []monitoring.Option {
		return []monitoring.Option{monitoring.WithRecentEvents(2), monitoring.WithEventBuffer(16)}
	}})
	mon := c.members[0].mon
	if mon.Node() != c.members[0].node {
		t.Error("Node() is not the instrumented node")
	}
	c.waitFor(5*time.Second, "3 join events", func() bool {
		r := mon.Recent(0)
		return len(r) == 2 && r[1].Seq == 3
	})
	r := mon.Recent(0)
	if r[0].Seq != 2 || r[0].Type != "join" || r[0].State != "alive" {
		t.Errorf("Recent = %+v", r)
	}
	if last := mon.Recent(1); len(last) != 1 || last[0].Seq != 3 {
		t.Errorf("Recent(1) = %+v", last)
	}
	ch := mon.Changed()
	if err := c.members[1].node.Broadcast([]byte("plain")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("Changed not closed by the broadcast's event")
	}
	c.waitFor(5*time.Second, "user event recorded", func() bool {
		r := mon.Recent(1)
		return len(r) == 1 && r[0].Type == "user" && r[0].Detail == "5 bytes"
	})
	if err := mon.Close(); err != nil {
		t.Fatal(err)
	}
	if err := mon.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if mon.Running() {
		t.Error("Running after Close")
	}
}

func TestMonitorStopsWithNode(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	m := c.members[1]
	if !m.mon.Running() {
		t.Fatal("not running")
	}
	ch := m.mon.Changed()
	if err := m.node.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-ch
	c.waitFor(5*time.Second, "monitor stops", func() bool { return !m.mon.Running() })
}

// collect reads every metric from a manual reader into name -> data points.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Aggregation {
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

func TestMemberStateLimit(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	newCluster(t, 3, clusterOpts{monOpts: func(i int) []monitoring.Option {
		if i == 0 {
			return []monitoring.Option{monitoring.WithMeterProvider(mp), monitoring.WithMemberStateLimit(2)}
		}
		return nil
	}})
	got := collect(t, reader)
	if g, ok := got[monitoring.MetricMemberState].(metricdata.Gauge[int64]); ok && len(g.DataPoints) > 0 {
		t.Errorf("member.state reported %d members over the limit of 2", len(g.DataPoints))
	}
	g, ok := got[monitoring.MetricMembers].(metricdata.Gauge[int64])
	if !ok {
		t.Fatalf("no %s", monitoring.MetricMembers)
	}
	var total int64
	for _, dp := range g.DataPoints {
		total += dp.Value
	}
	if total != 3 {
		t.Errorf("members by state add up to %d, want 3", total)
	}
	// Every instrument has a unit and a description.
	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Unit == "" || m.Description == "" {
				t.Errorf("%s: unit %q description %q", m.Name, m.Unit, m.Description)
			}
		}
	}
}

// TestLeaveAndFailedJoinSpans: Leave is traced; a join that fails ends its
// span with an error status.
func TestLeaveAndFailedJoinSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	c := newCluster(t, 2, clusterOpts{monOpts: func(int) []monitoring.Option {
		return []monitoring.Option{monitoring.WithTracerProvider(tp)}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.members[1].mon.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	alone := memnet.New(3)
	cfg := gossip.LocalConfig()
	cfg.ID = "stray"
	n, err := gossip.New(cfg, alone.Transport("stray"), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	mon, err := monitoring.Instrument(n, monitoring.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown(context.Background())
	jctx, jcancel := context.WithTimeout(ctx, 2*time.Second)
	defer jcancel()
	if err := mon.Join(jctx, "nowhere"); err == nil {
		t.Fatal("join to nowhere succeeded")
	}
	var leave, join bool
	for _, s := range rec.Ended() {
		switch s.Name() {
		case monitoring.SpanLeave:
			leave = true
		case monitoring.SpanJoin:
			if s.Status().Code == codes.Error {
				join = true
			}
		}
	}
	if !leave || !join {
		t.Errorf("leave span %v, failed join span with error status %v; spans: %v", leave, join, names(rec.Ended()))
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, fmt.Sprintf("%s(%v)", s.Name(), s.Status().Code))
	}
	return out
}

// TestSharedProviderAttributes: several members on one MeterProvider keep
// their series apart with WithAttributes.
func TestSharedProviderAttributes(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	newCluster(t, 3, clusterOpts{monOpts: func(i int) []monitoring.Option {
		return []monitoring.Option{monitoring.WithMeterProvider(mp),
			monitoring.WithAttributes(attribute.String("member.id", fmt.Sprintf("node-%d", i+1)))}
	}})
	g, ok := collect(t, reader)[monitoring.MetricMembers].(metricdata.Gauge[int64])
	if !ok {
		t.Fatal("no members gauge")
	}
	alive := map[string]int64{}
	for _, dp := range g.DataPoints {
		id, _ := dp.Attributes.Value("member.id")
		if st, _ := dp.Attributes.Value("state"); st.AsString() == "alive" {
			alive[id.AsString()] = dp.Value
		}
	}
	if len(alive) != 3 || alive["node-1"] != 3 || alive["node-3"] != 3 {
		t.Errorf("alive by member: %v, want 3 members each seeing 3", alive)
	}
}
