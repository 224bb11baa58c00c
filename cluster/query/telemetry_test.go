package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/query"
	"go.opentelemetry.io/otel/trace"
)

// TestTelemetry sends a query across two members with metrics and
// tracing on: the origin counts the query and both responses and records
// its duration, and each responder's libgossip.query.handle span is a
// child of the origin's libgossip.query span, carried in the query.
func TestTelemetry(t *testing.T) {
	c := clustertest.Memnet(t, 2, nil)
	r0, r1 := clustertest.NewRecorder(), clustertest.NewRecorder()
	q0 := startQ(t, c.Nodes[0], query.WithMeterProvider(r0), query.WithTracerProvider(r0))
	q1 := startQ(t, c.Nodes[1], query.WithMeterProvider(r1), query.WithTracerProvider(r1))
	for _, q := range []*query.Querier{q0, q1} {
		q.Handle("ping", func(ctx context.Context, r query.Request) ([]byte, error) { return []byte("pong"), nil })
	}
	waitAdvertised(t, c.Nodes)

	ctx, parent := r0.Tracer("test").Start(context.Background(), "caller")
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
	if n, _ := r0.Value("libgossip.query.sent"); n != 1 {
		t.Errorf("query.sent = %v, want 1", n)
	}
	if n, _ := r0.Value("libgossip.query.responses"); n != 2 {
		t.Errorf("query.responses = %v, want 2", n)
	}
	if n := r0.Count("libgossip.query.duration"); n != 1 {
		t.Errorf("query.duration has %d recordings, want 1", n)
	}
	if n, _ := r1.Value("libgossip.query.sent"); n != 0 {
		t.Errorf("the responder counted %v queries sent, want 0", n)
	}

	var root trace.SpanContext
	for _, s := range r0.Spans() {
		if s.Name == "libgossip.query" {
			root = s.Context
			if s.Parent.SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("libgossip.query's parent is %v, want the caller's span", s.Parent.SpanID())
			}
		}
	}
	if !root.IsValid() {
		t.Fatal("no libgossip.query span at the origin")
	}
	// The remote responder's span ends after its reply is sent: poll. Its
	// parent can only be the origin's span if the query carried it.
	clustertest.WaitFor(t, 10*time.Second, "the responder's handle span", func() bool {
		for _, s := range r1.Spans() {
			if s.Name == "libgossip.query.handle" {
				if !s.Parent.IsRemote() || s.Parent.SpanID() != root.SpanID() || s.Context.TraceID() != root.TraceID() {
					t.Fatalf("handle span's parent %v (remote %v), want the origin's %v in trace %v",
						s.Parent.SpanID(), s.Parent.IsRemote(), root.SpanID(), root.TraceID())
				}
				return true
			}
		}
		return false
	})
}
