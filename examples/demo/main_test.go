package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestDemo(t *testing.T) {
	for _, tr := range []string{"hybrid", "memnet"} {
		t.Run(tr, func(t *testing.T) { demo(t, tr) })
	}
}

func demo(t *testing.T, tr string) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-nodes", "4", "-transport", tr}, &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"cluster formed", "declared node-4 failed", "role=leader on node-2", "node-3 as left", "summary:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "dashboard") {
		t.Errorf("the plain demo mentions a dashboard:\n%s", out.String())
	}
}

// lockedBuffer is written by the demo and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitOutput(t *testing.T, out *lockedBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond) // polling the output, with a deadline
	}
	t.Fatalf("output never matched %s:\n%s", re, out.String())
	return nil
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}

// TestDemoDashboard runs the demo with -dashboard: it prints the link,
// serves the dashboard and /metrics while the story runs, keeps running
// after it, and stops with a summary when its context ends.
func TestDemoDashboard(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-nodes", "4", "-transport", "memnet", "-dashboard", "-http", "127.0.0.1:0", "-pace", "0"}, out)
	}()
	url := waitOutput(t, out, regexp.MustCompile(`dashboard: (http://127\.0\.0\.1:\d+/)`))[1]
	waitOutput(t, out, regexp.MustCompile(`keeps running`))
	if page := httpGet(t, url); !strings.Contains(page, "static/app.js") {
		t.Errorf("dashboard page:\n%s", page)
	}
	metrics := httpGet(t, url+"metrics")
	for _, want := range []string{`libgossip_members{`, `member_id="node-1"`, `libgossip_member_state{`, `state="left"`, `libgossip_probe_rtt_seconds_bucket{`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if state := httpGet(t, url+"api/state"); !strings.Contains(state, `"observer":"node-1"`) {
		t.Errorf("api/state: %s", state)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop after its context ended")
	}
	if !strings.Contains(out.String(), "summary:") {
		t.Errorf("no summary:\n%s", out.String())
	}
}
