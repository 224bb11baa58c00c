package job

import (
	"slices"
	"time"
)

// ActionKind says what the leader must do.
type ActionKind string

// Actions produced by Reconcile.
const (
	// ActDispatch: record (Apply OpDispatch) then send the run to an
	// executor the driver picks. Attempt is 1 for a new run, the same
	// attempt to re-send one that never started, or the next for a retry.
	ActDispatch ActionKind = "dispatch"
	// ActSkip: record the run as skipped (Apply OpSkip).
	ActSkip ActionKind = "skip"
	// ActQuery: ask the run's executor what became of it; feed the answer
	// to Resolve.
	ActQuery ActionKind = "query"
	// ActLost: record that the run's outcome is unknown for good.
	ActLost ActionKind = "lost"
)

// Action is one step Reconcile asks the leader to take.
type Action struct {
	Kind     ActionKind
	Job      string
	At       time.Time
	Attempt  int
	Token    uint64 // the run's current token (query, lost)
	Executor string // the run's executor (query)
	Reason   string
}

// Timing holds the driver's timeouts that Reconcile applies.
type Timing struct {
	// DispatchTimeout: a run dispatched but not started for this long is
	// sent again (with a new token, fencing the old dispatch).
	DispatchTimeout time.Duration
	// QueryGrace: a running run is queried once it has run longer than its
	// job's Timeout plus this.
	QueryGrace time.Duration
}

// Reconcile is the scheduler's whole decision, a pure function of the
// ledger, the live members (ids) and now. A new leader and a steady one run
// the same rules:
//
//   - A due time (NextAt <= now) no later than the job's Deadline is
//     dispatched. Later ones follow CatchUp: Skip records them skipped;
//     Once dispatches the latest and skips the rest; All dispatches those
//     within CatchUpWindow of now and skips older ones.
//   - A dispatched run whose executor is not live, or that has waited
//     DispatchTimeout, is dispatched again, same attempt: it never started,
//     so the new token makes the old dispatch harmless.
//   - A running run whose executor is not live had an unknown outcome: it
//     is retried (next attempt) if the job is Idempotent and has retries
//     left, else recorded Lost. One still running past its Timeout plus
//     QueryGrace is queried.
//   - A failed run with retries left is dispatched again, next attempt,
//     once its backoff (Backoff doubled per attempt) has passed.
//
// It never emits two actions for one run. Jobs and runs are visited in a
// fixed order, so the result is deterministic.
func Reconcile(l *Ledger, live map[string]bool, now time.Time, tm Timing) []Action {
	names := make([]string, 0, len(l.Jobs))
	for n := range l.Jobs {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []Action
	for _, name := range names {
		js := l.Jobs[name]
		s := js.Spec
		for _, id := range js.Runs {
			r := l.Runs[id]
			if a, ok := reconcileRun(s, r, live, now, tm); ok {
				out = append(out, a)
			}
		}
		if !s.Disabled {
			out = append(out, due(js, now)...)
		}
	}
	return out
}

func reconcileRun(s Spec, r *Run, live map[string]bool, now time.Time, tm Timing) (Action, bool) {
	a := Action{Job: r.Job, At: r.At, Token: r.Token, Executor: r.Executor}
	switch r.Status {
	case Dispatched:
		if !live[r.Executor] {
			a.Kind, a.Attempt, a.Reason = ActDispatch, r.Attempt, "executor gone before start"
			return a, true
		}
		if now.Sub(r.DispatchedAt) >= tm.DispatchTimeout {
			a.Kind, a.Attempt, a.Reason = ActDispatch, r.Attempt, "not started in time"
			return a, true
		}
	case Running:
		if !live[r.Executor] {
			return unknownOutcome(s, r, "executor died mid-run"), true
		}
		if now.Sub(r.StartedAt) >= s.Timeout+tm.QueryGrace {
			a.Kind = ActQuery
			return a, true
		}
	case Failed:
		if r.Attempt <= s.Retries && !r.FinishedAt.After(now.Add(-backoff(s, r.Attempt))) {
			a.Kind, a.Attempt, a.Reason = ActDispatch, r.Attempt+1, "retry after failure"
			return a, true
		}
	}
	return Action{}, false
}

// unknownOutcome is the rule for a started run whose executor cannot say
// how it ended.
func unknownOutcome(s Spec, r *Run, why string) Action {
	a := Action{Job: r.Job, At: r.At, Token: r.Token, Executor: r.Executor, Reason: why}
	if s.Idempotent && r.Attempt <= s.Retries {
		a.Kind, a.Attempt = ActDispatch, r.Attempt+1
		return a
	}
	a.Kind = ActLost
	return a
}

func backoff(s Spec, attempt int) time.Duration {
	d := s.Backoff
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return d
}

// due applies the schedule and the catch-up policy to the job's due times.
func due(js *JobState, now time.Time) []Action {
	s := js.Spec
	var times []time.Time
	for t := js.NextAt; !t.IsZero() && !t.After(now) && len(times) < MaxCatchUpActions; t = s.Next(t) {
		times = append(times, t)
	}
	// The latest time past the deadline, for Once.
	var lastLate time.Time
	for _, t := range times {
		if now.Sub(t) > s.Deadline {
			lastLate = t
		}
	}
	out := make([]Action, 0, len(times))
	for _, t := range times {
		a := Action{Job: s.Name, At: t, Attempt: 1}
		late := now.Sub(t) > s.Deadline
		switch {
		case !late:
			a.Kind = ActDispatch
		case s.CatchUp == Once && t.Equal(lastLate):
			a.Kind, a.Reason = ActDispatch, "catch-up once"
		case s.CatchUp == All && now.Sub(t) <= s.CatchUpWindow:
			a.Kind, a.Reason = ActDispatch, "catch-up all"
		default:
			a.Kind, a.Reason = ActSkip, "missed: catch-up "+string(s.CatchUp)
		}
		out = append(out, a)
	}
	return out
}

// Phase is what an executor knows of a run it was sent.
type Phase string

// Executor phases of a run.
const (
	PhaseUnknown    Phase = "unknown"     // never seen (or forgotten: restarted)
	PhaseStarting   Phase = "starting"    // received; its start is being reported: the action begins only if the start is confirmed
	PhaseNotStarted Phase = "not_started" // received, but its start was refused or unconfirmed: the action never began (final)
	PhaseRunning    Phase = "running"     // the action is running
	PhaseDone       Phase = "done"        // finished; the outcome is in the answer
)

// Answer is an executor's reply to a query about one run.
type Answer struct {
	Phase  Phase  `json:"phase"`
	Token  uint64 `json:"token"`
	OK     bool   `json:"ok,omitempty"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Resolve turns an executor's answer about a running run into the command
// that settles it, or reports false when nothing is to be done yet (it is
// still running, or still reporting its start: a start confirmed after an
// answer of "not started" would begin an action the leader had sent
// elsewhere). An answer for another token is treated as unknown.
func Resolve(s Spec, r Run, ans Answer, now time.Time) (Command, bool) {
	c := Command{Job: r.Job, At: r.At, Token: r.Token, Now: now, Executor: r.Executor}
	if ans.Token != r.Token {
		ans.Phase = PhaseUnknown
	}
	switch ans.Phase {
	case PhaseRunning, PhaseStarting:
		return Command{}, false
	case PhaseDone:
		c.Op, c.OK, c.Output, c.Error = OpFinish, ans.OK, ans.Output, ans.Error
		return c, true
	case PhaseNotStarted:
		c.Op, c.Attempt, c.NotStarted, c.Reason = OpDispatch, r.Attempt, true, "executor confirmed not started"
		return c, true
	}
	a := unknownOutcome(s, &r, "executor does not know the run")
	if a.Kind == ActDispatch {
		c.Op, c.Attempt, c.Reason = OpDispatch, a.Attempt, a.Reason
		return c, true
	}
	c.Op, c.Reason = OpLost, a.Reason
	return c, true
}
