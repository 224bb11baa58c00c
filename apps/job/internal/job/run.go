package job

import (
	"fmt"
	"strings"
	"time"
)

// Status is the state of a run in the ledger.
type Status string

// Run statuses. Dispatched and Running are active; the others are final
// (Failed only until a retry is dispatched).
const (
	// Dispatched: recorded by the leader, sent to an executor, not started.
	Dispatched Status = "dispatched"
	// Running: the executor's start was committed; the action may run.
	Running Status = "running"
	// Succeeded: the executor reported success.
	Succeeded Status = "succeeded"
	// Failed: the executor reported failure (exit status, timeout, HTTP
	// error).
	Failed Status = "failed"
	// Lost: the run started but its executor died before reporting, and the
	// job is not idempotent (or has no retries left): the outcome is unknown
	// and the run is not started again.
	Lost Status = "lost"
	// Skipped: the run was never started, by the catch-up or concurrency
	// policy; Reason says which.
	Skipped Status = "skipped"
)

// Active reports whether a run is dispatched or running.
func (s Status) Active() bool { return s == Dispatched || s == Running }

// MaxOutput bounds the output tail kept per run, in bytes.
const MaxOutput = 4 << 10

// Run is one scheduled (or manual) run of a job: its deterministic id is
// (Job, At).
type Run struct {
	Job      string    `json:"job"`
	At       time.Time `json:"at"` // scheduled time (or request time for a manual run)
	Manual   bool      `json:"manual,omitempty"`
	Attempt  int       `json:"attempt"` // 1 for the first attempt
	Token    uint64    `json:"token"`   // raft index of the latest dispatch: the fencing token
	Executor string    `json:"executor,omitempty"`
	// Boot identifies the executor process that started the run: if the
	// member later runs another process, this one's runs are forgotten.
	Boot   string `json:"boot,omitempty"`
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`

	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
	Output       string    `json:"output,omitempty"` // tail, at most MaxOutput bytes
	Error        string    `json:"error,omitempty"`
	// Starts counts the committed starts of this run, over all attempts.
	Starts int `json:"starts"`
}

// ID returns the run's id.
func (r Run) ID() string { return RunID(r.Job, r.At) }

// Duration is FinishedAt-StartedAt, or 0 when not finished.
func (r Run) Duration() time.Duration {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// RunID is the deterministic id of the run of job scheduled at at:
// "job@RFC3339Nano(at in UTC)".
func RunID(job string, at time.Time) string {
	return job + "@" + at.UTC().Format(time.RFC3339Nano)
}

// ParseRunID splits a run id into job and time.
func ParseRunID(id string) (string, time.Time, error) {
	i := strings.LastIndexByte(id, '@')
	if i <= 0 {
		return "", time.Time{}, fmt.Errorf("%w: run id %q", ErrInvalid, id)
	}
	at, err := time.Parse(time.RFC3339Nano, id[i+1:])
	if err != nil || !validName(id[:i]) {
		return "", time.Time{}, fmt.Errorf("%w: run id %q", ErrInvalid, id)
	}
	return id[:i], at.UTC(), nil
}

// Tail returns the last MaxOutput bytes of s.
func Tail(s string) string {
	if len(s) <= MaxOutput {
		return s
	}
	return s[len(s)-MaxOutput:]
}
