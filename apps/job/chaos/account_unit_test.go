package chaos

import (
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
)

// The accounting finds each kind of fault in a history built by hand, so
// that the chaos test's zeros mean something.
func TestAccount(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	spec := job.Spec{Name: "j", Schedule: "@every 1s", Command: []string{"true"}}
	ok := func(n int, late time.Duration, node string) job.Run {
		return job.Run{Job: "j", At: sec(n), Attempt: 1, Executor: node, Status: job.Succeeded,
			DispatchedAt: sec(n), StartedAt: sec(n).Add(late), FinishedAt: sec(n).Add(late + time.Second), Starts: 1}
	}
	// A leader (m1) is killed at 20 s; the next dispatch is at 22 s.
	kill := fault{kind: "kill", node: "m1", at: sec(20), end: sec(20)}
	var runs []job.Run
	var sink []sinkLine
	for n := 0; n < 40; n++ {
		node := "m2"
		if n >= 36 { // the killed leader, back
			node = "m1"
		}
		r := ok(n, 100*time.Millisecond, node)
		switch n {
		case 5: // started twice
			r.Starts = 2
		case 7: // missing from the history
			continue
		case 9: // late, outside every window
			r.StartedAt = sec(9).Add(4 * time.Second)
		case 19: // lost on the killed member
			r.Status, r.Executor, r.FinishedAt = job.Lost, "m1", time.Time{}
		case 21: // late in the kill's window; dispatched after it
			r.DispatchedAt, r.StartedAt = sec(22), sec(22).Add(2*time.Second)
		case 30: // lost on a member not faulted
			r.Status = job.Lost
		case 33: // skipped: never started
			r.Status, r.StartedAt, r.Starts, r.Reason = job.Skipped, time.Time{}, 0, "missed: catch-up skip"
		}
		runs = append(runs, r)
		if r.Status != job.Skipped && n != 35 { // 35 succeeded without reaching the sink
			sink = append(sink, sinkLine{job: "j", at: r.At, node: r.Executor})
		}
	}
	sink = append(sink, sinkLine{job: "j", at: sec(12), node: "m3"}) // a second start
	sink = append(sink, sinkLine{job: "j", at: sec(7), node: "m3"})  // ran without a start in the ledger
	// Runs dispatched while m1 led must not count as the new leader's.
	for i := range runs {
		if runs[i].At.Before(sec(20)) {
			runs[i].DispatchedAt = runs[i].At
		}
	}
	// m4 was paused at 25 s and ran nothing after.
	pause := fault{kind: "pause", node: "m4", at: sec(25), end: sec(28)}
	c := account([]job.Spec{spec}, map[string][]job.Run{"j": runs}, map[string]time.Time{"j": sec(40)}, sink, []fault{kill, pause}, documented)

	if got := c.failovers; len(got) != 1 || got[0] != 2*time.Second {
		t.Errorf("failovers %v, want [2s]", got)
	}
	want := map[string][2]int{
		"scheduled":       {c.scheduled, 40},
		"recorded":        {c.recorded, 39},
		"gaps":            {c.gaps, 1},
		"ledgerDups":      {c.ledgerDups, 1},
		"sinkDups":        {c.sinkDups, 1},
		"sinkNotStarted":  {c.sinkNotStarted, 1},
		"succeededNoSink": {c.succeededNoSink, 1},
		"lost":            {c.lost, 2},
		"lostUnexplained": {c.lostUnexplained, 1},
		"skipped":         {c.skipped, 1},
		"missed":          {c.missed, 2},
		"missedOutside":   {c.missedOutside, 2},
		"lateInWindow":    {c.lateInWindow, 1},
		"lateOutside":     {c.lateOutside, 1},
		"started":         {c.started, 38},
		"notResumed":      {c.notResumed, 1},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %d, want %d", k, v[0], v[1])
		}
	}
	if len(c.problems) == 0 {
		t.Error("no problem described")
	}
}

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := fault{kind: "kill", at: t0, end: t0, failover: 3 * time.Second}
	from, to, maxLate := f.window(documented)
	if !from.Equal(t0.Add(-documented.before)) || !to.Equal(t0.Add(3*time.Second)) {
		t.Errorf("window [%v, %v]", from, to)
	}
	if want := 3*time.Second + documented.late + documented.normal; maxLate != want {
		t.Errorf("maxLate %v, want %v", maxLate, want)
	}
}

func TestParseSinkLine(t *testing.T) {
	l, err := parseSinkLine("j3 2026-01-01T00:00:01Z m2\n")
	if err != nil || l.job != "j3" || l.node != "m2" || l.key() != "j3@2026-01-01T00:00:01Z" {
		t.Errorf("parse: %+v %v", l, err)
	}
	for _, bad := range []string{"", "j3 m2", "j3 yesterday m2", "a b c d"} {
		if _, err := parseSinkLine(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
