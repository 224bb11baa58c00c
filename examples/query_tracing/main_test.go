package main

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	colmetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

// span is what the test receiver keeps of one exported span.
type span struct{ name, member, trace, id, parent string }

// receiver is an in-process OTLP/HTTP receiver: it decodes the trace
// export requests the members send and accepts (and ignores) metrics.
type receiver struct {
	mu    sync.Mutex
	spans []span
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err == nil && r.Header.Get("Content-Encoding") == "gzip" {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
			body, err = io.ReadAll(zr)
		}
	}
	if err == nil && r.URL.Path == "/v1/metrics" {
		var req colmetric.ExportMetricsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := proto.Marshal(&colmetric.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(b)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err == nil && r.URL.Path == "/v1/traces" {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil || r.URL.Path != "/v1/traces" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
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
	rc.mu.Unlock()
	b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
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

// TestQueryTraceAcrossMembers runs the example against an OTLP receiver:
// the asker's libgossip.query span is the child of its own root span, and
// the parent of every responder's libgossip.query.handle span, all in one
// trace.
func TestQueryTraceAcrossMembers(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var out bytes.Buffer
	if err := run([]string{"-otlp", srv.URL}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "whoami answered by [node-1 node-2 node-3]") {
		t.Fatalf("output:\n%s", out.String())
	}
	root, asked := rc.find("ask-the-cluster", "node-1"), rc.find("libgossip.query", "node-1")
	if len(root) != 1 || len(asked) != 1 {
		t.Fatalf("node-1 exported %d root and %d libgossip.query spans, want 1 and 1", len(root), len(asked))
	}
	if asked[0].trace != root[0].trace || asked[0].parent != root[0].id {
		t.Errorf("libgossip.query: trace %s parent %s, want trace %s parent %s", asked[0].trace, asked[0].parent, root[0].trace, root[0].id)
	}
	for _, m := range []string{"node-1", "node-2", "node-3"} {
		hs := rc.find("libgossip.query.handle", m)
		if len(hs) != 1 {
			t.Errorf("%s exported %d libgossip.query.handle spans, want 1", m, len(hs))
			continue
		}
		if hs[0].trace != asked[0].trace || hs[0].parent != asked[0].id {
			t.Errorf("%s: handle span trace %s parent %s, want trace %s parent %s (node-1's query span)",
				m, hs[0].trace, hs[0].parent, asked[0].trace, asked[0].id)
		}
	}
	if err := run([]string{"stray"}, io.Discard); err == nil {
		t.Error("run with a stray argument succeeded")
	}
}
