package node

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// While an executor is still reporting a run's start it answers
// "starting", never "not started": the leader treats "not started" as
// final and sends the run again, so an executor that said it and then got
// its start confirmed would begin a second copy of the run. Once the report
// settles it answers "running"/"done" (confirmed) or "not started" (refused,
// or unconfirmed by the deadline), and after "not started" the action never
// begins.
func TestExecutorAnswersStartingUntilTheStartSettles(t *testing.T) {
	tests := []struct {
		name   string
		answer int // the leader's answer to the start report; 0: none
		want   job.Phase
		ran    bool
	}{
		{"confirmed", http.StatusOK, job.PhaseDone, true},
		{"refused", http.StatusConflict, job.PhaseNotStarted, false},
		{"unconfirmed by the deadline", 0, job.PhaseNotStarted, false},
	}
	at := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			release := make(chan struct{})
			reported := make(chan struct{}, 8)
			leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reported <- struct{}{}
				<-release
				if tt.answer == 0 {
					return // the caller gave up long ago
				}
				w.WriteHeader(tt.answer)
				_, _ = w.Write([]byte("{}"))
			}))
			cfg := gossip.LocalConfig()
			cfg.ID = "x"
			g, err := gossip.New(cfg, memnet.New(1).Transport("x"), gossip.WithLogger(quiet))
			if err != nil {
				t.Fatal(err)
			}
			// The start may be reported for half the dispatch timeout.
			n, err := New(g, dir, WithLogger(quiet), WithDispatchTimeout(time.Second), WithCallTimeout(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			h := n.routes()
			post := func(path string, v any) *httptest.ResponseRecorder {
				b, _ := json.Marshal(v)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodPost, path, bytes.NewReader(b)))
				return w
			}
			query := func() job.Answer {
				var a job.Answer
				w := post("/v1/internal/query", queryReq{Run: job.RunID("a", at)})
				if err := json.NewDecoder(w.Body).Decode(&a); err != nil {
					t.Fatal(err)
				}
				return a
			}
			marker := filepath.Join(dir, "ran")
			spec := job.Spec{Name: "a", Schedule: "@every 1s", Command: []string{"/bin/sh", "-c", "touch " + marker}}
			run := job.Run{Job: "a", At: at, Attempt: 1, Token: 9, Executor: "x", Status: job.Dispatched}
			if w := post("/v1/internal/dispatch", dispatchReq{Spec: spec, Run: run, Leader: strings.TrimPrefix(leader.URL, "http://")}); w.Code != http.StatusAccepted {
				t.Fatalf("dispatch: %d %s", w.Code, w.Body)
			}
			<-reported // the start report is held by the leader
			if a := query(); a.Phase != job.PhaseStarting || a.Token != 9 {
				t.Fatalf("while the start is reported: %+v, want starting", a)
			}
			if tt.answer != 0 {
				close(release)
			}
			gossiptest.WaitFor(t, 10*time.Second, "the run settled", func() bool {
				a := query()
				if a.Phase == job.PhaseNotStarted && tt.want != job.PhaseNotStarted {
					t.Fatalf("answered %+v before the start settled", a)
				}
				return a.Phase == tt.want
			})
			if tt.answer == 0 {
				close(release)
			}
			// Shutting down ends the finish report (no leader takes it
			// here); then the run's goroutine is over: nothing begins later.
			n.exec.shutdown()
			n.wg.Wait()
			if _, err := os.Stat(marker); (err == nil) != tt.ran {
				t.Fatalf("action ran: %v, want %v", err == nil, tt.ran)
			}
			if a := query(); a.Phase != tt.want {
				t.Fatalf("after the run's end: %+v, want %s", a, tt.want)
			}
			n.client.CloseIdleConnections()
			n.exec.idle()
			leader.Close()
		})
	}
}
