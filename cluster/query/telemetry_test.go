package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/query"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

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

func counter(d metricdata.Aggregation) int64 {
	s, _ := d.(metricdata.Sum[int64])
	var n int64
	for _, p := range s.DataPoints {
		n += p.Value
	}
	return n
}

// TestTelemetry sends a query across two members with metrics and
// tracing on: the origin counts the query and both responses and records
// its duration, and each responder's libgossip.query.handle span is a
// child of the origin's libgossip.query span, carried in the query.
func TestTelemetry(t *testing.T) {
	c := clustertest.Memnet(t, 2, nil)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	tp1 := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)) // the responder's own provider
	t.Cleanup(func() { _ = tp1.Shutdown(context.Background()) })

	q0 := startQ(t, c.Nodes[0], query.WithMeterProvider(mp), query.WithTracerProvider(tp))
	q1 := startQ(t, c.Nodes[1], query.WithTracerProvider(tp1))
	for _, q := range []*query.Querier{q0, q1} {
		q.Handle("ping", func(ctx context.Context, r query.Request) ([]byte, error) { return []byte("pong"), nil })
	}
	waitAdvertised(t, c.Nodes)

	ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")
	pd, err := q0.Query(ctx, "ping", nil, query.Params{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for range pd.Responses {
		if got++; got == 2 {
			pd.Close()
		}
	}
	parent.End()
	if got != 2 {
		t.Fatalf("%d responses, want 2", got)
	}
	m := collect(t, reader)
	if n := counter(m["libgossip.query.sent"]); n != 1 {
		t.Errorf("query.sent = %d, want 1", n)
	}
	if n := counter(m["libgossip.query.responses"]); n != 2 {
		t.Errorf("query.responses = %d, want 2", n)
	}
	h, _ := m["libgossip.query.duration"].(metricdata.Histogram[float64])
	if len(h.DataPoints) != 1 || h.DataPoints[0].Count != 1 {
		t.Errorf("query.duration = %+v, want one recording", h)
	}

	// The responders' spans end after their reply is sent: poll.
	var root tracetest.SpanStub
	handles := 0
	clustertest.WaitFor(t, 10*time.Second, "two handle spans", func() bool {
		handles = 0
		for _, s := range spans.GetSpans() {
			switch s.Name {
			case "libgossip.query":
				root = s
			case "libgossip.query.handle":
				handles++
			}
		}
		return handles == 2 && root.Name != ""
	})
	if root.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("libgossip.query's parent is %v, want the caller's span", root.Parent.SpanID())
	}
	for _, s := range spans.GetSpans() {
		if s.Name != "libgossip.query.handle" {
			continue
		}
		if s.Parent.SpanID() != root.SpanContext.SpanID() || s.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("handle span %v has parent %v, want %v in trace %v", s.SpanContext.SpanID(), s.Parent.SpanID(), root.SpanContext.SpanID(), root.SpanContext.TraceID())
		}
	}
}
