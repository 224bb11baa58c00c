package job

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fixture is a ledger fed commands at growing indexes.
type fixture struct {
	t   *testing.T
	l   *Ledger
	idx uint64
}

func newFixture(t *testing.T, specs ...Spec) *fixture {
	f := &fixture{t: t, l: NewLedger()}
	for i := range specs {
		f.must(Command{Op: OpPut, Now: t0, Spec: &specs[i]})
	}
	return f
}

func (f *fixture) apply(c Command) (*Run, error) {
	f.idx++
	return f.l.Apply(f.idx, c)
}

func (f *fixture) must(c Command) *Run {
	f.t.Helper()
	r, err := f.apply(c)
	if err != nil {
		f.t.Fatalf("apply %+v: %v", c, err)
	}
	return r
}

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func dispatch(job string, s, attempt int, exec string) Command {
	return Command{Op: OpDispatch, Now: at(s), Job: job, At: at(s), Attempt: attempt, Executor: exec}
}

func start(r *Run, exec string) Command {
	return Command{Op: OpStart, Now: r.At, Job: r.Job, At: r.At, Token: r.Token, Executor: exec}
}

func finish(r *Run, ok bool) Command {
	return Command{Op: OpFinish, Now: r.At.Add(time.Second), Job: r.Job, At: r.At, Token: r.Token, OK: ok, Output: "out"}
}

func TestLedgerLifecycle(t *testing.T) {
	f := newFixture(t, cmdSpec("a", "@every 1s"))
	if got := f.l.Jobs["a"].NextAt; !got.Equal(at(1)) {
		t.Fatalf("NextAt = %v, want %v", got, at(1))
	}
	r := f.must(dispatch("a", 1, 1, "n1"))
	if r.Status != Dispatched || r.Token != f.idx || !f.l.Jobs["a"].NextAt.Equal(at(2)) {
		t.Fatalf("after dispatch: %+v next %v", r, f.l.Jobs["a"].NextAt)
	}
	// Only the dispatched executor, with the current token, may start.
	if _, err := f.apply(start(r, "n2")); !errors.Is(err, ErrFenced) {
		t.Fatalf("start by another executor: %v, want ErrFenced", err)
	}
	stale := *r
	stale.Token--
	if _, err := f.apply(start(&stale, "n1")); !errors.Is(err, ErrFenced) {
		t.Fatalf("start with old token: %v, want ErrFenced", err)
	}
	r = f.must(start(r, "n1"))
	if r.Status != Running || r.Starts != 1 {
		t.Fatalf("after start: %+v", r)
	}
	// A repeated start (lost answer) changes nothing.
	if r2 := f.must(start(r, "n1")); r2.Starts != 1 {
		t.Fatalf("repeated start counted: %+v", r2)
	}
	r = f.must(finish(r, true))
	if r.Status != Succeeded || r.Duration() != time.Second || r.Output != "out" {
		t.Fatalf("after finish: %+v", r)
	}
	f.must(finish(r, true)) // repeated finish: no change, no error
	if _, err := f.apply(finish(r, false)); !errors.Is(err, ErrState) {
		t.Fatalf("conflicting finish: %v, want ErrState", err)
	}
	if _, err := f.apply(dispatch("a", 1, 1, "n1")); !errors.Is(err, ErrState) {
		t.Fatalf("second dispatch of a finished run: %v, want ErrState", err)
	}
	if h := f.l.History("a"); len(h) != 1 || h[0].Status != Succeeded {
		t.Fatalf("history = %+v", h)
	}
}

func TestLedgerRules(t *testing.T) {
	idem := cmdSpec("a", "@every 1s")
	idem.Idempotent, idem.Retries = true, 1
	plain := cmdSpec("a", "@every 1s")
	plain.Retries = 1
	forbid := cmdSpec("a", "@every 1s")
	forbid.Concurrency = Forbid

	tests := []struct {
		name string
		spec Spec
		// steps run on a fresh ledger; the last one's error is checked.
		steps   func(f *fixture) (*Run, error)
		wantErr error
		want    Status
	}{
		{"redispatch never-started run", plain, func(f *fixture) (*Run, error) {
			f.must(dispatch("a", 1, 1, "n1"))
			return f.apply(dispatch("a", 1, 1, "n2"))
		}, nil, Dispatched},
		{"old token fenced after redispatch", plain, func(f *fixture) (*Run, error) {
			r1 := f.must(dispatch("a", 1, 1, "n1"))
			f.must(dispatch("a", 1, 1, "n2"))
			return f.apply(start(r1, "n1"))
		}, ErrFenced, ""},
		{"redispatch naming the current token", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			c := dispatch("a", 1, 1, "n2")
			c.Token = r.Token
			return f.apply(c)
		}, nil, Dispatched},
		{"redispatch naming a replaced token fenced", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(dispatch("a", 1, 1, "n2"))
			c := dispatch("a", 1, 1, "n3")
			c.Token = r.Token
			return f.apply(c)
		}, ErrFenced, ""},
		{"redispatch of running run refused", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(start(r, "n1"))
			return f.apply(dispatch("a", 1, 1, "n2"))
		}, ErrState, ""},
		{"redispatch of running run confirmed not started", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(start(r, "n1"))
			c := dispatch("a", 1, 1, "n2")
			c.NotStarted = true
			return f.apply(c)
		}, nil, Dispatched},
		{"retry after failure", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(finish(f.must(start(r, "n1")), false))
			return f.apply(dispatch("a", 1, 2, "n2"))
		}, nil, Dispatched},
		{"no retry beyond retries", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(finish(f.must(start(r, "n1")), false))
			r = f.must(dispatch("a", 1, 2, "n2"))
			f.must(finish(f.must(start(r, "n2")), false))
			return f.apply(dispatch("a", 1, 3, "n2"))
		}, ErrState, ""},
		{"no retry after success", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(finish(f.must(start(r, "n1")), true))
			return f.apply(dispatch("a", 1, 2, "n2"))
		}, ErrState, ""},
		{"retry of running idempotent run", idem, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(start(r, "n1"))
			return f.apply(dispatch("a", 1, 2, "n2"))
		}, nil, Dispatched},
		{"no retry of running non-idempotent run", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(start(r, "n1"))
			return f.apply(dispatch("a", 1, 2, "n2"))
		}, ErrState, ""},
		{"finish after lost refused: a stopped executor wakes", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			r = f.must(start(r, "n1"))
			f.must(Command{Op: OpLost, Job: "a", At: at(1), Token: r.Token, Reason: "executor died mid-run"})
			return f.apply(finish(r, true))
		}, ErrState, ""},
		{"finish with the token of an attempt retried since", idem, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			r = f.must(start(r, "n1"))
			f.must(dispatch("a", 1, 2, "n2"))
			return f.apply(finish(r, true))
		}, ErrFenced, ""},
		{"start with the token of a dispatch sent again since", plain, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(dispatch("a", 1, 1, "n1")) // same member, new token
			return f.apply(start(r, "n1"))
		}, ErrFenced, ""},
		{"first dispatch must be attempt 1", plain, func(f *fixture) (*Run, error) {
			return f.apply(dispatch("a", 1, 2, "n1"))
		}, ErrState, ""},
		{"forbid skips overlapping run", forbid, func(f *fixture) (*Run, error) {
			f.must(dispatch("a", 1, 1, "n1"))
			return f.apply(dispatch("a", 2, 1, "n1"))
		}, nil, Skipped},
		{"forbid allows after finish", forbid, func(f *fixture) (*Run, error) {
			r := f.must(dispatch("a", 1, 1, "n1"))
			f.must(finish(f.must(start(r, "n1")), true))
			return f.apply(dispatch("a", 2, 1, "n1"))
		}, nil, Dispatched},
		{"skip", plain, func(f *fixture) (*Run, error) {
			return f.apply(Command{Op: OpSkip, Job: "a", At: at(1), Now: at(9), Reason: "missed"})
		}, nil, Skipped},
		{"skip of recorded run refused", plain, func(f *fixture) (*Run, error) {
			f.must(dispatch("a", 1, 1, "n1"))
			return f.apply(Command{Op: OpSkip, Job: "a", At: at(1), Now: at(9)})
		}, ErrState, ""},
		{"unknown job", plain, func(f *fixture) (*Run, error) {
			return f.apply(dispatch("b", 1, 1, "n1"))
		}, ErrNotFound, ""},
		{"unknown op", plain, func(f *fixture) (*Run, error) {
			return f.apply(Command{Op: "explode"})
		}, ErrInvalid, ""},
		{"finish of unknown run", plain, func(f *fixture) (*Run, error) {
			return f.apply(Command{Op: OpFinish, Job: "a", At: at(5)})
		}, ErrNotFound, ""},
		{"finish before start", plain, func(f *fixture) (*Run, error) {
			return f.apply(finish(f.must(dispatch("a", 1, 1, "n1")), true))
		}, ErrState, ""},
		{"dispatch without executor", plain, func(f *fixture) (*Run, error) {
			return f.apply(dispatch("a", 1, 1, ""))
		}, ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.spec)
			r, err := tt.steps(f)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || r == nil || r.Status != tt.want {
				t.Fatalf("got %+v, %v; want status %s", r, err, tt.want)
			}
		})
	}
}

func TestLedgerLost(t *testing.T) {
	f := newFixture(t, cmdSpec("a", "@every 1s"))
	r := f.must(dispatch("a", 1, 1, "n1"))
	// Lost before start: it never started, so it is recorded skipped.
	got := f.must(Command{Op: OpLost, Job: "a", At: at(1), Token: r.Token, Reason: "gone"})
	if got.Status != Skipped {
		t.Fatalf("lost before start = %s, want skipped", got.Status)
	}
	r = f.must(dispatch("a", 2, 1, "n1"))
	f.must(start(r, "n1"))
	got = f.must(Command{Op: OpLost, Job: "a", At: at(2), Token: r.Token, Reason: "died"})
	if got.Status != Lost || got.Reason != "died" {
		t.Fatalf("lost after start = %+v", got)
	}
	if _, err := f.apply(Command{Op: OpLost, Job: "a", At: at(2), Token: r.Token}); !errors.Is(err, ErrState) {
		t.Fatalf("lost twice: %v", err)
	}
}

func TestLedgerPutDelete(t *testing.T) {
	f := newFixture(t, cmdSpec("a", "@every 10s"))
	s := cmdSpec("a", "@every 10s")
	s.Retries = 3
	f.must(Command{Op: OpPut, Now: at(5), Spec: &s})
	if js := f.l.Jobs["a"]; !js.NextAt.Equal(at(10)) || js.Spec.Retries != 3 {
		t.Fatalf("update kept schedule? %+v", js)
	}
	s.Schedule = "@every 1m"
	f.must(Command{Op: OpPut, Now: at(5), Spec: &s})
	if js := f.l.Jobs["a"]; !js.NextAt.Equal(at(65)) {
		t.Fatalf("new schedule NextAt = %v", js.NextAt)
	}
	bad := cmdSpec("", "@every 1s")
	if _, err := f.apply(Command{Op: OpPut, Spec: &bad}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad put: %v", err)
	}
	if _, err := f.apply(Command{Op: OpPut}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("put without spec: %v", err)
	}
	f.must(dispatch("a", 65, 1, "n1"))
	f.must(Command{Op: OpDelete, Job: "a"})
	if len(f.l.Jobs) != 0 || len(f.l.Runs) != 0 {
		t.Fatalf("delete left %+v", f.l)
	}
	if _, err := f.apply(Command{Op: OpDelete, Job: "a"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestLedgerHistoryBound(t *testing.T) {
	f := newFixture(t, cmdSpec("a", "@every 1s"))
	active := f.must(dispatch("a", 1, 1, "n1"))
	for i := 2; i <= MaxHistory+10; i++ {
		f.must(Command{Op: OpSkip, Job: "a", At: at(i), Now: at(i)})
	}
	h := f.l.History("a")
	if len(h) != MaxHistory || h[0].ID() != active.ID() || len(f.l.Runs) != MaxHistory {
		t.Fatalf("history %d runs (first %s), ledger %d; want %d keeping the active one", len(h), h[0].ID(), len(f.l.Runs), MaxHistory)
	}
}

func TestFSM(t *testing.T) {
	fsm := NewFSM()
	s := cmdSpec("a", "@every 1s")
	apply := func(i uint64, c Command) Applied {
		b, err := Encode(c)
		if err != nil {
			t.Fatal(err)
		}
		return fsm.Apply(raft.Entry{Index: i, Data: b}).(Applied)
	}
	if a := apply(1, Command{Op: OpPut, Now: t0, Spec: &s}); a.Err != nil {
		t.Fatal(a.Err)
	}
	if a := apply(2, dispatch("a", 1, 1, "n1")); a.Err != nil || a.Run.Token != 2 {
		t.Fatalf("dispatch: %+v", a)
	}
	if a := fsm.Apply(raft.Entry{Index: 3, Data: []byte("{")}).(Applied); !errors.Is(a.Err, ErrDecode) {
		t.Fatalf("bad entry: %+v", a)
	}
	snap, err := fsm.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snap.Persist(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	other := NewFSM()
	if err := other.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	other.View(func(l *Ledger) {
		if h := l.History("a"); len(h) != 1 || h[0].Token != 2 || !l.Jobs["a"].NextAt.Equal(at(2)) {
			t.Fatalf("restored %+v", h)
		}
	})
	for _, bad := range []string{"", "{", `{"jobs":null}`} {
		if err := other.Restore(bytes.NewBufferString(bad)); !errors.Is(err, ErrDecode) {
			t.Errorf("Restore(%q) = %v, want ErrDecode", bad, err)
		}
	}
	if _, err := Decode(make([]byte, MaxCommandSize+1)); !errors.Is(err, ErrDecode) {
		t.Errorf("oversized command: %v", err)
	}
	if _, err := Decode([]byte(`{"op":"put","evil":1}`)); !errors.Is(err, ErrDecode) {
		t.Errorf("unknown field: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	s := cmdSpec("a", "@every 1s")
	for _, c := range []Command{{Op: OpPut, Now: t0, Spec: &s}, dispatch("a", 1, 1, "n1"), {Op: OpFinish, Job: "a", At: t0, Token: 3, OK: true}} {
		b, _ := Encode(c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("error %v does not wrap ErrDecode", err)
			}
			return
		}
		// Any decoded command applies or is refused without panicking, and
		// a refused command changes nothing.
		l := NewLedger()
		l.Apply(1, Command{Op: OpPut, Now: t0, Spec: &s})
		if _, err := l.Apply(2, c); err == nil {
			return
		}
		if len(l.Jobs) != 1 || len(l.Runs) != 0 {
			t.Fatalf("refused command %+v changed the ledger", c)
		}
	})
}
