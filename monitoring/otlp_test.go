package monitoring_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	colmetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/libgossip/libgossip/monitoring"
)

// receiver is an in-process OTLP/HTTP receiver: it decodes the protobuf
// export requests and keeps the spans and metric names.
type receiver struct {
	mu      sync.Mutex
	spans   []span
	metrics map[string]string // metric name -> service.instance.id
}

type span struct {
	name, member, traceID, spanID, parentID string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err == nil && r.Header.Get("Content-Encoding") == "gzip" {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
			body, err = io.ReadAll(zr)
		}
	}
	if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var resp proto.Message
	switch r.URL.Path {
	case "/v1/traces":
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rs := range req.GetResourceSpans() {
			member := ""
			for _, a := range rs.GetResource().GetAttributes() {
				if a.GetKey() == "service.instance.id" {
					member = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					rc.spans = append(rc.spans, span{s.GetName(), member, hex.EncodeToString(s.GetTraceId()),
						hex.EncodeToString(s.GetSpanId()), hex.EncodeToString(s.GetParentSpanId())})
				}
			}
		}
		resp = &coltrace.ExportTraceServiceResponse{}
	case "/v1/metrics":
		var req colmetric.ExportMetricsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rm := range req.GetResourceMetrics() {
			member := ""
			for _, a := range rm.GetResource().GetAttributes() {
				if a.GetKey() == "service.instance.id" {
					member = a.GetValue().GetStringValue()
				}
			}
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					rc.metrics[m.GetName()] = member
				}
			}
		}
		resp = &colmetric.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, r)
		return
	}
	b, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func (rc *receiver) find(name, member string) []span {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []span
	for _, s := range rc.spans {
		if s.name == name && s.member == member {
			out = append(out, s)
		}
	}
	return out
}

// TestOTLPTraceLinks exports two members' spans to an in-process OTLP/HTTP
// receiver and checks the parent/child links across them: the joiner's join
// span is the parent of the seed's join.seen span, and the sender's
// broadcast span the parent of the receiver's broadcast.receive span.
func TestOTLPTraceLinks(t *testing.T) {
	rc := &receiver{metrics: map[string]string{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var tels []*monitoring.Telemetry
	for _, id := range []string{"node-1", "node-2"} {
		tel, _, err := monitoring.Setup(context.Background(), monitoring.Config{
			ServiceName: "otlp-test", MemberID: id, OTLPEndpoint: srv.URL, ExportInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tels = append(tels, tel)
	}
	c := newCluster(t, 2, clusterOpts{
		monOpts: func(i int) []monitoring.Option {
			return []monitoring.Option{monitoring.WithMeterProvider(tels[i].MeterProvider), monitoring.WithTracerProvider(tels[i].TracerProvider)}
		},
		join: func(m *member, seed string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return m.mon.Join(ctx, seed)
		},
	})
	sender, recv := c.members[0], c.members[1]
	if err := sender.mon.Broadcast(context.Background(), []byte("deploy v2")); err != nil {
		t.Fatal(err)
	}
	c.waitFor(10*time.Second, "node-2 receives the broadcast", func() bool {
		for _, e := range recv.mon.Recent(0) {
			if e.Type == "user" && e.Member == "node-1" {
				return true
			}
		}
		return false
	})
	c.waitFor(10*time.Second, "node-1 records node-2's join", func() bool {
		for _, e := range sender.mon.Recent(0) {
			if e.Type == "join" && e.Member == "node-2" {
				return true
			}
		}
		return false
	})
	for _, tel := range tels {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Fatalf("shutdown (flush to the receiver): %v", err)
		}
	}

	child := func(parentName, parentMember, childName, childMember string) {
		t.Helper()
		ps, cs := rc.find(parentName, parentMember), rc.find(childName, childMember)
		if len(ps) != 1 || len(cs) == 0 {
			t.Fatalf("got %d %s spans from %s and %d %s spans from %s; want 1 and >= 1",
				len(ps), parentName, parentMember, len(cs), childName, childMember)
		}
		for _, s := range cs {
			if s.traceID != ps[0].traceID || s.parentID != ps[0].spanID {
				t.Errorf("%s on %s: trace %s parent %s; want trace %s parent %s (the %s span on %s)",
					childName, childMember, s.traceID, s.parentID, ps[0].traceID, ps[0].spanID, parentName, parentMember)
			}
		}
	}
	child(monitoring.SpanJoin, "node-2", monitoring.SpanJoinSeen, "node-1")
	child(monitoring.SpanBroadcast, "node-1", monitoring.SpanBroadcastReceive, "node-2")
	if s := rc.find(monitoring.SpanBroadcast, "node-1"); len(s) == 1 && s[0].traceID == rc.find(monitoring.SpanJoin, "node-2")[0].traceID {
		t.Error("the broadcast and the join share a trace")
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, name := range []string{monitoring.MetricMembers, monitoring.MetricProbes, monitoring.MetricEvents} {
		if _, ok := rc.metrics[name]; !ok {
			t.Errorf("metric %s not exported over OTLP (got %d metrics)", name, len(rc.metrics))
		}
	}
}
