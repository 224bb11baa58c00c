package job

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var tm = Timing{DispatchTimeout: 5 * time.Second, QueryGrace: 5 * time.Second}

// brief renders actions compactly: "dispatch a@3 #1".
func brief(as []Action) string {
	var out []string
	for _, a := range as {
		s := fmt.Sprintf("%s %s@%d", a.Kind, a.Job, int(a.At.Sub(t0)/time.Second))
		if a.Kind == ActDispatch {
			s += fmt.Sprintf(" #%d", a.Attempt)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func TestReconcileDue(t *testing.T) {
	every := func(mod func(*Spec)) Spec {
		s := cmdSpec("a", "@every 1s")
		s.Deadline = 2 * time.Second
		mod(s2(&s))
		return s
	}
	tests := []struct {
		name string
		spec Spec
		now  int
		want string
	}{
		{"nothing due", every(func(*Spec) {}), 0, ""},
		{"one due", every(func(*Spec) {}), 1, "dispatch a@1 #1"},
		{"late within deadline", every(func(*Spec) {}), 3, "dispatch a@1 #1, dispatch a@2 #1, dispatch a@3 #1"},
		{"skip past deadline", every(func(*Spec) {}), 5, "skip a@1, skip a@2, dispatch a@3 #1, dispatch a@4 #1, dispatch a@5 #1"},
		{"once runs latest missed", every(func(s *Spec) { s.CatchUp = Once }), 5, "skip a@1, dispatch a@2 #1, dispatch a@3 #1, dispatch a@4 #1, dispatch a@5 #1"},
		{"all within window", every(func(s *Spec) { s.CatchUp, s.CatchUpWindow = All, 4*time.Second }), 6,
			"skip a@1, dispatch a@2 #1, dispatch a@3 #1, dispatch a@4 #1, dispatch a@5 #1, dispatch a@6 #1"},
		{"disabled", every(func(s *Spec) { s.Disabled = true }), 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.spec)
			got := brief(Reconcile(f.l, nil, at(tt.now), tm))
			if got != tt.want {
				t.Fatalf("Reconcile(now=%d)\n got  %s\n want %s", tt.now, got, tt.want)
			}
		})
	}
}

func s2(s *Spec) *Spec { return s }

func TestReconcileDueBounded(t *testing.T) {
	f := newFixture(t, cmdSpec("a", "@every 1s"))
	if n := len(Reconcile(f.l, nil, at(100000), tm)); n != MaxCatchUpActions {
		t.Fatalf("%d actions after a long outage, want the bound %d", n, MaxCatchUpActions)
	}
}

func TestReconcileRuns(t *testing.T) {
	plain := cmdSpec("a", "@every 1h")
	plain.Timeout, plain.Retries, plain.Backoff = 10*time.Second, 2, 2*time.Second
	idem := plain
	idem.Idempotent = true
	noRetry := idem
	noRetry.Retries = 0
	live := map[string]bool{"n1": true}

	type setup func(f *fixture)
	dispatched := func(f *fixture) { f.must(dispatch("a", 1, 1, "n1")) }
	running := func(f *fixture) { f.must(start(f.must(dispatch("a", 1, 1, "n1")), "n1")) }
	failed := func(f *fixture) {
		r := f.must(dispatch("a", 1, 1, "n1"))
		f.must(finish(f.must(start(r, "n1")), false)) // finished at 2
	}
	failedTwice := func(f *fixture) {
		failed(f)
		r := f.must(Command{Op: OpDispatch, Now: at(4), Job: "a", At: at(1), Attempt: 2, Executor: "n1"})
		f.must(finish(f.must(start(r, "n1")), false)) // finished at 2 again (At+1s): backoff 4s
	}
	tests := []struct {
		name  string
		spec  Spec
		setup setup
		live  map[string]bool
		now   int
		want  string
	}{
		{"dispatched, waiting", plain, dispatched, live, 3, ""},
		{"dispatched, executor gone", plain, dispatched, nil, 3, "dispatch a@1 #1"},
		{"dispatched, not started in time", plain, dispatched, live, 6, "dispatch a@1 #1"},
		{"running, within timeout", plain, running, live, 15, ""},
		{"running past timeout: query", plain, running, live, 16, "query a@1"},
		{"running, executor died, not idempotent", plain, running, nil, 3, "lost a@1"},
		{"running, executor died, idempotent", idem, running, nil, 3, "dispatch a@1 #2"},
		{"running, executor died, idempotent, no retries", noRetry, running, nil, 3, "lost a@1"},
		{"failed, in backoff", plain, failed, live, 3, ""},
		{"failed, backoff over", plain, failed, live, 4, "dispatch a@1 #2"},
		{"failed, no retries", noRetry, failed, live, 100, ""},
		{"succeeded", plain, func(f *fixture) {
			f.must(finish(f.must(start(f.must(dispatch("a", 1, 1, "n1")), "n1")), true))
		}, live, 100, ""},
		{"failed twice, second backoff doubles", plain, failedTwice, live, 5, ""},
		{"failed twice, second backoff over", plain, failedTwice, live, 6, "dispatch a@1 #3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.spec)
			tt.setup(f)
			got := brief(Reconcile(f.l, tt.live, at(tt.now), tm))
			if got != tt.want {
				t.Fatalf("Reconcile(now=%d, live=%v)\n got  %s\n want %s", tt.now, tt.live, got, tt.want)
			}
		})
	}
}

// Every action Reconcile emits applies cleanly to the ledger it came from:
// the rules and the FSM agree, and applying them all leaves nothing due.
func TestReconcileActionsApply(t *testing.T) {
	s := cmdSpec("a", "@every 1s")
	s.CatchUp, s.CatchUpWindow, s.Deadline = All, 3*time.Second, time.Second
	f := newFixture(t, s, cmdSpec("b", "*/2 * * * * *"))
	now := at(10)
	for round := 0; round < 2; round++ {
		for _, a := range Reconcile(f.l, map[string]bool{"n1": true}, now, tm) {
			c := Command{Now: now, Job: a.Job, At: a.At, Attempt: a.Attempt, Executor: "n1", Token: a.Token, Reason: a.Reason}
			switch a.Kind {
			case ActDispatch:
				c.Op = OpDispatch
			case ActSkip:
				c.Op = OpSkip
			default:
				t.Fatalf("unexpected %+v", a)
			}
			f.must(c)
		}
	}
	if got := Reconcile(f.l, map[string]bool{"n1": true}, now, tm); len(got) != 0 {
		t.Fatalf("after applying, still %s", brief(got))
	}
	// Every scheduled time up to now is accounted for exactly once.
	if n := len(f.l.History("a")); n != 10 {
		t.Fatalf("a has %d runs, want 10", n)
	}
	if n := len(f.l.History("b")); n != 5 {
		t.Fatalf("b has %d runs, want 5", n)
	}
}

func TestResolve(t *testing.T) {
	plain := cmdSpec("a", "@every 1h")
	idem := plain
	idem.Idempotent, idem.Retries = true, 1
	r := Run{Job: "a", At: at(1), Attempt: 1, Token: 7, Executor: "n1", Status: Running}
	tests := []struct {
		name string
		spec Spec
		ans  Answer
		want string // op and attempt, or "" for nothing
	}{
		{"still running", plain, Answer{Phase: PhaseRunning, Token: 7}, ""},
		{"done ok", plain, Answer{Phase: PhaseDone, Token: 7, OK: true}, "finish ok"},
		{"done failed", plain, Answer{Phase: PhaseDone, Token: 7}, "finish failed"},
		{"still reporting its start", plain, Answer{Phase: PhaseStarting, Token: 7}, ""},
		{"not started", plain, Answer{Phase: PhaseNotStarted, Token: 7}, "dispatch #1 not-started"},
		{"unknown, not idempotent", plain, Answer{Phase: PhaseUnknown}, "lost"},
		{"unknown, idempotent", idem, Answer{Phase: PhaseUnknown}, "dispatch #2"},
		{"other token is unknown", plain, Answer{Phase: PhaseDone, Token: 6, OK: true}, "lost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := Resolve(tt.spec, r, tt.ans, at(20))
			got := ""
			if ok {
				got = string(c.Op)
				switch c.Op {
				case OpFinish:
					got += map[bool]string{true: " ok", false: " failed"}[c.OK]
				case OpDispatch:
					got += fmt.Sprintf(" #%d", c.Attempt)
					if c.NotStarted {
						got += " not-started"
					}
				}
			}
			if got != tt.want {
				t.Fatalf("Resolve(%+v) = %q, want %q", tt.ans, got, tt.want)
			}
		})
	}
}

func TestFence(t *testing.T) {
	f := NewFence(2)
	steps := []struct {
		id    string
		token uint64
		want  bool
	}{
		{"a", 5, true},
		{"a", 5, true},  // the same dispatch again
		{"a", 4, false}, // older than seen
		{"a", 9, true},
		{"b", 3, true},
		{"c", 6, true},  // evicts a (9): floor 9
		{"d", 8, false}, // below the floor
		{"b", 2, false},
		{"d", 10, true},
	}
	for i, s := range steps {
		if got := f.Admit(s.id, s.token); got != s.want {
			t.Fatalf("step %d: Admit(%s, %d) = %v, want %v", i, s.id, s.token, got, s.want)
		}
	}
	if f.Seen("d") != 10 || f.Seen("a") != 0 {
		t.Fatalf("Seen: d=%d a=%d", f.Seen("d"), f.Seen("a"))
	}
}
