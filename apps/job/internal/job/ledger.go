package job

import (
	"fmt"
	"slices"
	"time"
)

// MaxHistory bounds the runs kept per job; the oldest final runs go first.
const MaxHistory = 1000

// Op names a ledger command.
type Op string

// Ledger commands.
const (
	OpPut      Op = "put"      // add or update a job (Spec)
	OpDelete   Op = "delete"   // delete a job and its runs (Name)
	OpDispatch Op = "dispatch" // record a run (attempt) before sending it
	OpStart    Op = "start"    // the executor starts the run
	OpFinish   Op = "finish"   // the executor reports the outcome
	OpLost     Op = "lost"     // the run's outcome is unknown for good
	OpSkip     Op = "skip"     // the run will not start (policy)
)

// Command is one change to the ledger, proposed by the leader and applied
// in log order on every member. Now is the proposer's clock, so Apply
// reads no clock and is deterministic.
type Command struct {
	Op       Op        `json:"op"`
	Now      time.Time `json:"now"`
	Spec     *Spec     `json:"spec,omitempty"`
	Job      string    `json:"job,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Attempt  int       `json:"attempt,omitempty"`
	Manual   bool      `json:"manual,omitempty"`
	Executor string    `json:"executor,omitempty"`
	// Boot, on a start, identifies the executor's process (see Run.Boot).
	Boot string `json:"boot,omitempty"`
	// Token fences: a start, finish or loss applies only to the run's
	// current dispatch; a dispatch that carries one replaces only that
	// dispatch (zero: whatever dispatch is current).
	Token uint64 `json:"token,omitempty"`
	// NotStarted, on a dispatch of a running run, says its executor
	// confirmed it never began the action (its start answer was lost).
	NotStarted bool   `json:"not_started,omitempty"`
	OK         bool   `json:"ok,omitempty"`
	Output     string `json:"output,omitempty"`
	Error      string `json:"error,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// JobState is a job and its place in the schedule.
type JobState struct {
	Spec Spec `json:"spec"`
	// NextAt is the next scheduled time not yet dispatched or skipped.
	NextAt time.Time `json:"next_at,omitzero"`
	// Runs holds the job's run ids, oldest scheduled first.
	Runs []string `json:"runs"`
}

// Ledger is the replicated state: jobs and their runs. It is a pure value:
// Apply reads no clock and does no I/O. It is not safe for concurrent use;
// FSM wraps it with a lock.
type Ledger struct {
	Jobs map[string]*JobState `json:"jobs"`
	Runs map[string]*Run      `json:"runs"`
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{Jobs: map[string]*JobState{}, Runs: map[string]*Run{}}
}

// Apply applies c as the log entry at index and returns the run it
// created or changed (nil for job commands), or an error that says why c
// changed nothing.
func (l *Ledger) Apply(index uint64, c Command) (*Run, error) {
	switch c.Op {
	case OpPut:
		return nil, l.put(c)
	case OpDelete:
		if _, ok := l.Jobs[c.Job]; !ok {
			return nil, fmt.Errorf("%w: job %q", ErrNotFound, c.Job)
		}
		for _, id := range l.Jobs[c.Job].Runs {
			delete(l.Runs, id)
		}
		delete(l.Jobs, c.Job)
		return nil, nil
	case OpDispatch:
		return l.dispatch(index, c)
	case OpSkip:
		return l.skip(c)
	case OpStart, OpFinish, OpLost:
		return l.transition(c)
	}
	return nil, fmt.Errorf("%w: op %q", ErrInvalid, c.Op)
}

func (l *Ledger) put(c Command) error {
	if c.Spec == nil {
		return fmt.Errorf("%w: put without spec", ErrInvalid)
	}
	if err := c.Spec.Validate(); err != nil {
		return err
	}
	s := c.Spec.Normalize()
	js, ok := l.Jobs[s.Name]
	if !ok {
		l.Jobs[s.Name] = &JobState{Spec: s, NextAt: s.Next(c.Now)}
		return nil
	}
	old := js.Spec
	js.Spec = s
	if old.Schedule != s.Schedule || old.TimeZone != s.TimeZone || old.Disabled && !s.Disabled {
		js.NextAt = s.Next(c.Now)
	}
	return nil
}

// advance moves the job's next time past at, for scheduled runs.
func (js *JobState) advance(at time.Time) {
	if !at.Before(js.NextAt) {
		js.NextAt = js.Spec.Next(at)
	}
}

func (l *Ledger) addRun(js *JobState, r *Run) {
	id := r.ID()
	l.Runs[id] = r
	i, _ := slices.BinarySearchFunc(js.Runs, r.At, func(id string, at time.Time) int {
		return l.Runs[id].At.Compare(at)
	})
	js.Runs = slices.Insert(js.Runs, i, id)
	for len(js.Runs) > MaxHistory {
		// Drop the oldest final run; active runs are kept.
		j := slices.IndexFunc(js.Runs, func(id string) bool { return !l.Runs[id].Status.Active() })
		if j < 0 {
			break
		}
		delete(l.Runs, js.Runs[j])
		js.Runs = slices.Delete(js.Runs, j, j+1)
	}
}

// Active returns the job's active runs.
func (l *Ledger) Active(job string) []*Run {
	js := l.Jobs[job]
	if js == nil {
		return nil
	}
	var out []*Run
	for _, id := range js.Runs {
		if r := l.Runs[id]; r.Status.Active() {
			out = append(out, r)
		}
	}
	return out
}

func (l *Ledger) dispatch(index uint64, c Command) (*Run, error) {
	js := l.Jobs[c.Job]
	if js == nil {
		return nil, fmt.Errorf("%w: job %q", ErrNotFound, c.Job)
	}
	if c.Executor == "" || c.At.IsZero() {
		return nil, fmt.Errorf("%w: dispatch needs executor and time", ErrInvalid)
	}
	at := c.At.UTC()
	id := RunID(c.Job, at)
	r := l.Runs[id]
	if r == nil {
		if c.Attempt != 1 {
			return nil, fmt.Errorf("%w: first dispatch of %s must be attempt 1", ErrState, id)
		}
		r = &Run{Job: c.Job, At: at, Manual: c.Manual, Attempt: 1}
		if !c.Manual {
			js.advance(at)
		}
		if js.Spec.Concurrency == Forbid && len(l.Active(c.Job)) > 0 {
			r.Status, r.Reason = Skipped, "concurrency forbid: an earlier run is active"
			l.addRun(js, r)
			cp := *r
			return &cp, nil
		}
		l.addRun(js, r)
	} else {
		switch {
		case c.Token != 0 && c.Token != r.Token:
			// A re-dispatch that names the dispatch it replaces applies
			// only while that dispatch is current.
			return nil, fmt.Errorf("%w: re-dispatch of %s token %d, run has %d", ErrFenced, id, c.Token, r.Token)
		case r.Status == Dispatched && c.Attempt == r.Attempt:
			// Re-dispatch of an attempt that never started.
		case r.Status == Running && c.Attempt == r.Attempt && c.NotStarted:
			// The executor confirmed it never began the action.
			r.Starts--
		case c.Attempt == r.Attempt+1 && c.Attempt <= js.Spec.Retries+1 &&
			(r.Status == Failed || r.Status == Running && js.Spec.Idempotent):
			// A retry: after a failure, or after an idempotent run's
			// executor died.
		default:
			return nil, fmt.Errorf("%w: dispatch attempt %d of %s (%s, attempt %d)", ErrState, c.Attempt, id, r.Status, r.Attempt)
		}
	}
	r.Attempt, r.Token, r.Executor, r.Status, r.Reason = c.Attempt, index, c.Executor, Dispatched, c.Reason
	r.DispatchedAt, r.StartedAt, r.FinishedAt, r.Output, r.Error = c.Now, time.Time{}, time.Time{}, "", ""
	cp := *r
	return &cp, nil
}

func (l *Ledger) skip(c Command) (*Run, error) {
	js := l.Jobs[c.Job]
	if js == nil {
		return nil, fmt.Errorf("%w: job %q", ErrNotFound, c.Job)
	}
	at := c.At.UTC()
	if l.Runs[RunID(c.Job, at)] != nil {
		return nil, fmt.Errorf("%w: %s already recorded", ErrState, RunID(c.Job, at))
	}
	r := &Run{Job: c.Job, At: at, Status: Skipped, Reason: c.Reason, FinishedAt: c.Now}
	js.advance(at)
	l.addRun(js, r)
	cp := *r
	return &cp, nil
}

// transition applies start, finish and lost, all fenced by the token.
func (l *Ledger) transition(c Command) (*Run, error) {
	id := RunID(c.Job, c.At)
	r := l.Runs[id]
	if r == nil {
		return nil, fmt.Errorf("%w: run %s", ErrNotFound, id)
	}
	if c.Token != r.Token {
		return nil, fmt.Errorf("%w: %s token %d, run has %d", ErrFenced, id, c.Token, r.Token)
	}
	switch c.Op {
	case OpStart:
		if c.Executor != r.Executor {
			return nil, fmt.Errorf("%w: %s dispatched to %s, not %s", ErrFenced, id, r.Executor, c.Executor)
		}
		switch r.Status {
		case Running: // the same start again (its answer was lost): no change
		case Dispatched:
			r.Status, r.StartedAt, r.Boot = Running, c.Now, c.Boot
			r.Starts++
		default:
			return nil, fmt.Errorf("%w: start of %s run %s", ErrState, r.Status, id)
		}
	case OpFinish:
		switch {
		case r.Status == Running:
			r.Status, r.FinishedAt, r.Output, r.Error = Failed, c.Now, Tail(c.Output), Tail(c.Error)
			if c.OK {
				r.Status = Succeeded
			}
		case (r.Status == Succeeded || r.Status == Failed) && r.Status == statusOf(c.OK):
			// The same finish again: no change.
		default:
			return nil, fmt.Errorf("%w: finish of %s run %s", ErrState, r.Status, id)
		}
	case OpLost:
		if !r.Status.Active() {
			return nil, fmt.Errorf("%w: lost of %s run %s", ErrState, r.Status, id)
		}
		r.Status, r.FinishedAt, r.Reason = Lost, c.Now, c.Reason
		if r.StartedAt.IsZero() {
			r.Status = Skipped // it never started
		}
	}
	cp := *r
	return &cp, nil
}

func statusOf(ok bool) Status {
	if ok {
		return Succeeded
	}
	return Failed
}

// History returns copies of the job's runs, oldest first.
func (l *Ledger) History(job string) []Run {
	js := l.Jobs[job]
	if js == nil {
		return nil
	}
	out := make([]Run, 0, len(js.Runs))
	for _, id := range js.Runs {
		out = append(out, *l.Runs[id])
	}
	return out
}
