package monitoring_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/monitoring"
)

func TestDashboardNeedsMonitor(t *testing.T) {
	if _, err := monitoring.NewDashboard(nil); err == nil {
		t.Error("NewDashboard(nil) succeeded")
	}
}

// TestDashboardHTTP checks the page, its files, the state API and the event
// stream over real HTTP.
func TestDashboardHTTP(t *testing.T) {
	c := newCluster(t, 3, clusterOpts{})
	mons := []*monitoring.Monitor{c.members[0].mon, c.members[1].mon}
	dash, err := monitoring.NewDashboard(mons, monitoring.WithTitle("t"), monitoring.WithRefresh(50*time.Millisecond), monitoring.WithMaxStreams(1))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/ui", dash))
	defer srv.Close()
	defer dash.Close()

	for _, tc := range []struct {
		path, ctype, body string
		code              int
	}{
		{"/ui/", "text/html", `<script src="static/app.js">`, 200},
		{"/ui/static/app.js", "javascript", "EventSource", 200},
		{"/ui/static/style.css", "text/css", "--alive", 200},
		{"/ui/api/state", "application/json", `"observer":"node-1"`, 200},
		{"/ui/nope", "text/plain", "404", 404},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s = %d %s, body %.80q; want %d %s containing %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b, tc.code, tc.ctype, tc.body)
		}
	}
	resp, err := http.Post(srv.URL+"/ui/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d", resp.StatusCode)
	}

	v := dash.Snapshot()
	if v.Observer != "node-1" || len(v.Members) != 3 || v.Counts["alive"] != 3 || v.Title != "t" || v.Omitted != 0 {
		t.Fatalf("Snapshot = %+v", v)
	}
	small, _ := monitoring.NewDashboard(mons[:1], monitoring.WithMaxMembers(1))
	if v := small.Snapshot(); len(v.Members) != 1 || v.Members[0].ID != "node-1" || v.Omitted != 2 || v.Counts["alive"] != 3 {
		t.Errorf("with WithMaxMembers(1): %d members listed (%+v), %d omitted, counts %v", len(v.Members), v.Members, v.Omitted, v.Counts)
	}
	for _, m := range v.Members {
		if (m.Rates != nil) != (m.ID != "node-3") {
			t.Errorf("%s: rates %v (only node-1 and node-2 are monitored here)", m.ID, m.Rates)
		}
		if m.Observer != (m.ID == "node-1") || m.Meta["role"] != "worker" {
			t.Errorf("member %+v", m)
		}
	}

	// The stream sends a View at once, then on events and every refresh.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ui/api/events", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream content type %q", ct)
	}
	// A second stream is over the cap of one.
	second, err := http.Get(srv.URL + "/ui/api/events")
	if err != nil {
		t.Fatal(err)
	}
	second.Body.Close()
	if second.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second stream: %d, want 503", second.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	views := 0
	sawRates := false
	for views < 30 && sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var v monitoring.View
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &v); err != nil {
			t.Fatalf("bad event data: %v", err)
		}
		views++
		for _, m := range v.Members {
			if m.Rates != nil && m.Rates.PacketsOut > 0 {
				sawRates = true
			}
		}
		if sawRates && views >= 3 {
			break
		}
	}
	if !sawRates {
		t.Errorf("no message rates in %d views", views)
	}
	// Close ends the stream: the body reaches EOF.
	dash.Close()
	done := make(chan struct{})
	go func() {
		for sc.Scan() {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stream still open after Close")
	}

	// With every node stopped the view is empty but valid.
	for _, m := range c.members {
		_ = m.node.Shutdown(context.Background())
	}
	c.waitFor(5*time.Second, "monitors stop", func() bool { return !mons[0].Running() && !mons[1].Running() })
	if v := dash.Snapshot(); v.Observer != "" || len(v.Members) != 0 {
		t.Errorf("Snapshot with no running member: %+v", v)
	}
}
