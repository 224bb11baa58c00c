package monitoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

// Checker is one readiness check. Cluster services (a KV store, a Raft
// member) satisfy it, and programs register them with Health.Register.
// Check must respect ctx and be safe for concurrent use.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckerFunc adapts a function to Checker.
type CheckerFunc func(ctx context.Context) error

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context) error { return f(ctx) }

// ReadyWhen is a Checker that passes once ch is closed, for components that
// signal readiness with a channel (cluster/bootstrap's Bootstrapper.Ready).
// Until then it fails with ErrNotReady naming what.
func ReadyWhen(what string, ch <-chan struct{}) Checker {
	return CheckerFunc(func(context.Context) error {
		select {
		case <-ch:
			return nil
		default:
			return fmt.Errorf("%w: %s", ErrNotReady, what)
		}
	})
}

// Readiness errors, wrapped by the reasons Health.Ready reports.
var (
	ErrNotJoined = errors.New("monitoring: member not running or not alive")
	ErrIsolated  = errors.New("monitoring: member sees too few live members")
	ErrUnhealthy = errors.New("monitoring: local health score over the threshold")
	ErrCheck     = errors.New("monitoring: readiness check failed")
	ErrNotReady  = errors.New("monitoring: not ready yet")
)

// Health serves /healthz and /readyz for one member. All methods are safe for
// concurrent use.
type Health struct {
	node         *gossip.Node
	minMembers   int
	maxAwareness int
	timeout      time.Duration

	mu     sync.Mutex
	checks map[string]Checker
}

// HealthOption configures NewHealth.
type HealthOption func(*Health)

// WithMinMembers sets how many live members, this one included, a member
// must see to be ready (not isolated). Default 2; 1 lets a lone member be
// ready.
func WithMinMembers(n int) HealthOption { return func(h *Health) { h.minMembers = n } }

// WithMaxHealthScore sets the highest local health (awareness) score at
// which the member is still ready. Default 4.
func WithMaxHealthScore(n int) HealthOption { return func(h *Health) { h.maxAwareness = n } }

// WithCheckTimeout bounds each registered check. Default 2s.
func WithCheckTimeout(d time.Duration) HealthOption { return func(h *Health) { h.timeout = d } }

// WithCheck registers a check at construction (see Register).
func WithCheck(name string, c Checker) HealthOption {
	return func(h *Health) { h.checks[name] = c }
}

// NewHealth returns the health endpoints of node.
func NewHealth(node *gossip.Node, opts ...HealthOption) *Health {
	h := &Health{node: node, minMembers: 2, maxAwareness: 4, timeout: 2 * time.Second, checks: map[string]Checker{}}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Register adds (or, with a nil c, removes) a named readiness check.
func (h *Health) Register(name string, c Checker) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c == nil {
		delete(h.checks, name)
		return
	}
	h.checks[name] = c
}

// Report is the body of /readyz.
type Report struct {
	Ready   bool              `json:"ready"`
	Member  string            `json:"member"`
	State   string            `json:"state"`
	Live    int               `json:"live_members"`
	Score   int               `json:"health_score"`
	Checks  map[string]string `json:"checks,omitempty"` // "ok" or the error
	Reasons []string          `json:"reasons,omitempty"`
}

// Ready runs every readiness rule and check, each check bounded by the check
// timeout, and returns the report with the reasons joined as an error (nil
// when ready). It blocks for at most the check timeout.
func (h *Health) Ready(ctx context.Context) (Report, error) {
	self := h.node.LocalNode()
	st := h.node.Stats()
	r := Report{Member: self.ID, State: StateName(self.State), Live: st.LiveMembers + 1, Score: st.Awareness}
	var errs []error
	if h.node.Members() == nil || self.State != gossip.StateAlive {
		errs = append(errs, fmt.Errorf("%w (state %s)", ErrNotJoined, r.State))
	}
	if r.Live < h.minMembers {
		errs = append(errs, fmt.Errorf("%w: %d live, want %d", ErrIsolated, r.Live, h.minMembers))
	}
	if r.Score > h.maxAwareness {
		errs = append(errs, fmt.Errorf("%w: %d > %d", ErrUnhealthy, r.Score, h.maxAwareness))
	}
	h.mu.Lock()
	names := make([]string, 0, len(h.checks))
	for n := range h.checks {
		names = append(names, n)
	}
	checks := make([]Checker, len(names))
	slices.Sort(names)
	for i, n := range names {
		checks[i] = h.checks[n]
	}
	h.mu.Unlock()
	if len(names) > 0 {
		r.Checks = map[string]string{}
		results := make([]error, len(names))
		var wg sync.WaitGroup
		cctx, cancel := context.WithTimeout(ctx, h.timeout)
		for i, c := range checks {
			wg.Go(func() { results[i] = c.Check(cctx) })
		}
		wg.Wait()
		cancel()
		for i, n := range names {
			if results[i] != nil {
				r.Checks[n] = results[i].Error()
				errs = append(errs, fmt.Errorf("%w: %s: %w", ErrCheck, n, results[i]))
			} else {
				r.Checks[n] = "ok"
			}
		}
	}
	for _, e := range errs {
		r.Reasons = append(r.Reasons, e.Error())
	}
	r.Ready = len(errs) == 0
	return r, errors.Join(errs...)
}

// Healthz answers 200 "ok" while the process can serve HTTP at all
// (liveness); it looks at nothing else.
func (h *Health) Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
}

// Readyz answers 200 when the member is ready (running and alive, seeing
// at least the minimum of live members, health score under the threshold,
// every check passing) and 503 otherwise, with the Report as JSON.
func (h *Health) Readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := h.Ready(r.Context())
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
}
