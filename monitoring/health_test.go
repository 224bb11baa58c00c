package monitoring_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/monitoring"
)

func get(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec.Code, rec.Body.String()
}

func TestHealthNotStarted(t *testing.T) {
	cfg := gossip.LocalConfig()
	cfg.ID = "lonely"
	node, err := gossip.New(cfg, memnet.New(1).Transport("lonely"), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	h := monitoring.NewHealth(node, monitoring.WithMinMembers(1))
	if code, body := get(t, h.Healthz()); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	_, err = h.Ready(context.Background())
	if !errors.Is(err, monitoring.ErrNotJoined) {
		t.Errorf("Ready before Start: %v, want ErrNotJoined", err)
	}
}

func TestHealthReady(t *testing.T) {
	c := newCluster(t, 3, clusterOpts{})
	node := c.members[0].node
	h := monitoring.NewHealth(node, monitoring.WithCheckTimeout(200*time.Millisecond))
	code, body := get(t, h.Readyz())
	var rep monitoring.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	if code != 200 || !rep.Ready || rep.Live != 3 || rep.State != "alive" || rep.Member != "node-1" {
		t.Fatalf("/readyz = %d %+v, want 200, ready, 3 live", code, rep)
	}

	for _, tc := range []struct {
		name string
		opts []monitoring.HealthOption
		want error
	}{
		{"isolated", []monitoring.HealthOption{monitoring.WithMinMembers(4)}, monitoring.ErrIsolated},
		{"unhealthy", []monitoring.HealthOption{monitoring.WithMaxHealthScore(-1)}, monitoring.ErrUnhealthy},
		{"check fails", []monitoring.HealthOption{monitoring.WithCheck("raft", monitoring.CheckerFunc(func(context.Context) error {
			return errors.New("no leader")
		}))}, monitoring.ErrCheck},
		{"check times out", []monitoring.HealthOption{monitoring.WithCheckTimeout(50 * time.Millisecond),
			monitoring.WithCheck("slow", monitoring.CheckerFunc(func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			}))}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := monitoring.NewHealth(node, tc.opts...)
			rep, err := h.Ready(context.Background())
			if !errors.Is(err, tc.want) || rep.Ready {
				t.Fatalf("Ready = %+v, %v; want not ready with %v", rep, err, tc.want)
			}
			code, body := get(t, h.Readyz())
			if code != http.StatusServiceUnavailable || !strings.Contains(body, `"ready":false`) {
				t.Errorf("/readyz = %d %s", code, body)
			}
		})
	}

	h.Register("kv", monitoring.CheckerFunc(func(context.Context) error { return nil }))
	rep, err := h.Ready(context.Background())
	if err != nil || rep.Checks["kv"] != "ok" {
		t.Errorf("with a passing check: %+v, %v", rep, err)
	}
	h.Register("kv", monitoring.CheckerFunc(func(context.Context) error { return errors.New("behind") }))
	if _, err := h.Ready(context.Background()); !errors.Is(err, monitoring.ErrCheck) {
		t.Errorf("after replacing the check: %v", err)
	}
	boot := make(chan struct{})
	h.Register("bootstrap", monitoring.ReadyWhen("bootstrap", boot))
	if _, err := h.Ready(context.Background()); !errors.Is(err, monitoring.ErrNotReady) {
		t.Errorf("before the channel closes: %v", err)
	}
	close(boot)
	h.Register("kv", nil)
	if rep, err := h.Ready(context.Background()); err != nil || len(rep.Checks) != 1 || rep.Checks["bootstrap"] != "ok" {
		t.Errorf("after removing the check: %+v, %v", rep, err)
	}
}
