package node

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// FuzzInternalAPI feeds any body to the endpoints members call on each
// other: no panic, a clear status, and nothing started.
func FuzzInternalAPI(f *testing.F) {
	at := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	spec := job.Spec{Name: "a", Schedule: "@every 1s", Command: []string{"true"}}
	for _, v := range []any{
		dispatchReq{Spec: spec, Run: job.Run{Job: "a", At: at, Attempt: 1, Token: 3}, Leader: "127.0.0.1:1"},
		queryReq{Run: job.RunID("a", at)},
		job.Command{Op: job.OpStart, Job: "a", At: at, Token: 3, Executor: "x"},
	} {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	f.Add([]byte("{"))
	cfg := gossip.LocalConfig()
	cfg.ID = "fuzz"
	g, err := gossip.New(cfg, memnet.New(1).Transport("fuzz"), gossip.WithLogger(quiet))
	if err != nil {
		f.Fatal(err)
	}
	n, err := New(g, f.TempDir(), WithLogger(quiet))
	if err != nil {
		f.Fatal(err)
	}
	n.exec.shutdown() // a dispatch that decodes is refused, not run
	h := n.routes()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, path := range []string{"/v1/internal/dispatch", "/v1/internal/query", "/v1/internal/report"} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodPost, path, bytes.NewReader(b)))
			switch w.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusMisdirectedRequest:
			default:
				t.Fatalf("%s answered %d to %q", path, w.Code, b)
			}
		}
		if n.exec.active != 0 {
			t.Fatal("a fuzzed dispatch started a run")
		}
	})
}
