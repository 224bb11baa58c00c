package chaos

import (
	"fmt"
	"slices"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
)

// fault is one injected fault: a leader SIGKILLed (and restarted) or a
// member SIGSTOPped (and continued).
type fault struct {
	kind string // "kill" or "pause"
	node string
	at   time.Time // SIGKILL or SIGSTOP
	end  time.Time // SIGKILL (kill), SIGCONT (pause)
	run  string    // pause: the run the member was executing
	// failover, for a kill: from the kill until the first run dispatched
	// after it (by the new leader); set by account.
	failover time.Duration
}

// bounds is the documented failover window (docs/job.md), applied by
// account.
type bounds struct {
	// normal: how late a run outside every window may start.
	normal time.Duration
	// before: a window opens this long before its fault (a run dispatched
	// just before may wait for its start up to the dispatch timeout).
	before time.Duration
	// late: how much later than normal a run in a window may start, past
	// its fault's end plus the failover: the dispatch timeout.
	late time.Duration
}

// window returns the scheduled times a fault affects, from a dispatch
// timeout before it to the end of its failover, and how late a run
// scheduled in them may start: the failover, plus the dispatch timeout (a
// run sent to the faulted member is sent again after it), plus the normal
// lateness.
func (f fault) window(b bounds) (from, to time.Time, maxLate time.Duration) {
	return f.at.Add(-b.before), f.end.Add(f.failover), f.failover + b.late + b.normal
}

// resumeAfter is how soon after a fault its member must run jobs again.
const resumeAfter = 5 * time.Second

// tally is what the test counts and prints.
type tally struct {
	scheduled, recorded, gaps                         int
	started, succeeded, failed, lost, skipped, active int
	sinkLines, sinkDups, ledgerDups                   int
	sinkNotStarted, succeededNoSink, lostNoSink       int
	missed, missedOutside                             int
	lateInWindow, lateOutside, lostUnexplained        int
	notResumed                                        int // faulted members that ran nothing after their fault
	lateness, failovers                               []time.Duration
	reasons                                           map[string]int // of the last dispatch or of lost, by reason
	problems                                          []string
}

// account checks the history of every job against the schedule, the sink
// and the faults. hist holds each job's runs, next each job's next
// scheduled time not yet recorded (the end of its accounted range).
func account(specs []job.Spec, hist map[string][]job.Run, next map[string]time.Time, sink []sinkLine, faults []fault, b bounds) tally {
	t := tally{reasons: map[string]int{}}
	bad := func(format string, a ...any) {
		if len(t.problems) < 50 {
			t.problems = append(t.problems, fmt.Sprintf(format, a...))
		}
	}
	// Failover time of each kill: until the first dispatch after it.
	for i := range faults {
		f := &faults[i]
		if f.kind != "kill" {
			continue
		}
		var first time.Time
		for _, runs := range hist {
			for _, r := range runs {
				if r.DispatchedAt.After(f.at) && (first.IsZero() || r.DispatchedAt.Before(first)) {
					first = r.DispatchedAt
				}
			}
		}
		if first.IsZero() {
			bad("kill of %s at %s: no dispatch after it", f.node, f.at.Format(time.StampMilli))
			f.failover = time.Hour
		} else {
			f.failover = first.Sub(f.at)
		}
		t.failovers = append(t.failovers, f.failover)
	}
	// inWindow reports whether scheduled time at (of a run started late
	// by late, on node; "" for any) is explained by a fault.
	inWindow := func(at time.Time, late time.Duration, node string) bool {
		for _, f := range faults {
			from, to, maxLate := f.window(b)
			if !at.Before(from) && !at.After(to) && late <= maxLate && (node == "" || node == f.node) {
				return true
			}
		}
		return false
	}

	// Each faulted member works again: it runs something scheduled from
	// resumeAfter past its fault's end (unless the schedule ended first).
	var last time.Time
	for _, l := range sink {
		if l.at.After(last) {
			last = l.at
		}
	}
	for _, f := range faults {
		from := f.end.Add(f.failover + resumeAfter)
		if from.After(last) {
			continue
		}
		if !slices.ContainsFunc(sink, func(l sinkLine) bool { return l.node == f.node && l.at.After(from) }) {
			t.notResumed++
			bad("%s ran nothing scheduled after %s, %v after its %s", f.node, from.Format(time.StampMilli), resumeAfter, f.kind)
		}
	}

	inSink := map[string]int{}
	for _, l := range sink {
		inSink[l.key()]++
		t.sinkLines++
		if inSink[l.key()] == 2 {
			t.sinkDups++
			bad("duplicate start in the sink: %s (node %s)", l.key(), l.node)
		}
	}
	ledgerStarted := map[string]bool{}
	for _, s := range specs {
		runs := hist[s.Name]
		byAt := map[time.Time]job.Run{}
		for _, r := range runs {
			byAt[r.At.UTC()] = r
		}
		t.recorded += len(runs)
		if len(runs) == 0 {
			bad("%s: no run recorded", s.Name)
			continue
		}
		for at := runs[0].At.UTC(); at.Before(next[s.Name]); at = s.Next(at) {
			t.scheduled++
			r, ok := byAt[at]
			if !ok {
				t.gaps++
				t.missed++
				if !inWindow(at, 0, "") {
					t.missedOutside++
				}
				bad("%s: scheduled time %s missing from the history", s.Name, at.Format(time.RFC3339))
				continue
			}
			t.account(r, inSink[r.ID()] > 0, b.normal, inWindow, bad)
			if !r.StartedAt.IsZero() {
				ledgerStarted[r.ID()] = true
			}
		}
	}
	for k := range inSink {
		if !ledgerStarted[k] {
			t.sinkNotStarted++
			bad("%s reached the sink without a committed start", k)
		}
	}
	return t
}

// account counts one run of the history.
func (t *tally) account(r job.Run, sunk bool, normal time.Duration, inWindow func(time.Time, time.Duration, string) bool, bad func(string, ...any)) {
	if r.Reason != "" {
		t.reasons[string(r.Status)+": "+r.Reason]++
	}
	if r.Starts > 1 {
		t.ledgerDups++
		bad("%s started %d times in the ledger", r.ID(), r.Starts)
	}
	switch r.Status {
	case job.Succeeded:
		t.succeeded++
		if !sunk {
			t.succeededNoSink++
			bad("%s succeeded but is not in the sink", r.ID())
		}
	case job.Failed:
		t.failed++
		bad("%s failed: %s", r.ID(), r.Error)
	case job.Lost:
		t.lost++
		if !sunk {
			t.lostNoSink++
		}
		if !inWindow(r.At, 0, r.Executor) {
			t.lostUnexplained++
			bad("%s lost on %s, not a faulted member: %s", r.ID(), r.Executor, r.Reason)
		}
	case job.Skipped:
		t.skipped++
	default:
		t.active++
		bad("%s still %s", r.ID(), r.Status)
	}
	if r.StartedAt.IsZero() {
		t.missed++
		if !inWindow(r.At, 0, "") {
			t.missedOutside++
		}
		bad("%s never started: %s %s", r.ID(), r.Status, r.Reason)
		return
	}
	t.started++
	late := r.StartedAt.Sub(r.At)
	t.lateness = append(t.lateness, late)
	if late <= normal {
		return
	}
	if inWindow(r.At, late, "") {
		t.lateInWindow++
		return
	}
	t.lateOutside++
	bad("%s started %v late, outside every failover window", r.ID(), late.Round(time.Millisecond))
}
