package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// The scenario of issue 14's acceptance.
const (
	members   = 5
	jobs      = 10
	schedule  = 100 * time.Second // of @every 1s runs
	killEvery = 10 * time.Second  // the leader is SIGKILLed, then restarted
	pauseAt   = 33 * time.Second  // one executor is SIGSTOPped mid-run...
	pauseFor  = 8 * time.Second   // ...for this long, then SIGCONTed
	busy      = 300 * time.Millisecond
	preset    = "lan" // the agent's default gossip preset

	// The node package's defaults the binary runs with.
	dispatchTimeout = 5 * time.Second
)

// documented is the failover window of docs/job.md.
var documented = bounds{normal: 2 * time.Second, before: dispatchTimeout + time.Second, late: dispatchTimeout}

// TestProcessChaos runs 5 libgossip-job processes and 10 jobs @every 1s
// for 100 s whose command appends (job, scheduled time, node) to a sink
// file, SIGKILLs the leader every 10 s (restarting it with the same data
// dir and ports) and SIGSTOPs one executor while it runs a job. Then it
// checks the run history read from the API against the schedule and the
// sink: no duplicate start, no scheduled run missing or skipped, no run
// late outside the failover window, every run final.
func TestProcessChaos(t *testing.T) {
	if os.Getenv("LIBGOSSIP_CHAOS") != "1" {
		t.Skip("builds and runs 5 agent processes for about 3 minutes; LIBGOSSIP_CHAOS=1 (make job-chaos)")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	sink := filepath.Join(dir, "sink")
	procs := newProcs(t, dir, bin)
	lead, err := leader(procs, "", 90*time.Second)
	if err != nil {
		t.Fatalf("cluster did not elect a leader: %v\n%s", err, logsTail(procs))
	}

	specs := make([]job.Spec, jobs)
	for i := range specs {
		specs[i] = job.Spec{Name: fmt.Sprintf("j%d", i), Schedule: "@every 1s", Command: sinkCommand(busy),
			Env: []string{"SINK=" + sink}, Timeout: 5 * time.Second}
		putJob(t, bin, dir, lead.api, specs[i])
	}
	begin := time.Now()
	t.Logf("%d jobs @every 1s on %d processes, leader %s; chaos for %v", jobs, members, lead.id, schedule)

	faults := runChaos(t, procs, sink, begin)

	// Stop scheduling, then wait for every run to be final.
	lead, err = leader(procs, "", 60*time.Second)
	if err != nil {
		t.Fatalf("no leader after the chaos: %v\n%s", err, logsTail(procs))
	}
	for _, s := range specs {
		s.Disabled = true
		putJob(t, bin, dir, lead.api, s)
	}
	hist, next := map[string][]job.Run{}, map[string]time.Time{}
	settled := poll(90*time.Second, func() bool {
		lead, err = leader(procs, "", 10*time.Second)
		if err != nil {
			return false
		}
		for _, s := range specs {
			var runs []job.Run
			var info struct {
				NextAt time.Time `json:"next_at"`
			}
			if getJSON(lead.api, "/v1/jobs/"+s.Name+"/runs", &runs) != nil || getJSON(lead.api, "/v1/jobs/"+s.Name, &info) != nil {
				return false
			}
			for _, r := range runs {
				if r.Status.Active() {
					return false
				}
			}
			hist[s.Name], next[s.Name] = runs, info.NextAt.UTC()
		}
		return true
	})
	if !settled {
		t.Fatalf("runs still active 90s after the chaos\n%s", logsTail(procs))
	}
	// Every member holds the same history.
	same := poll(30*time.Second, func() bool {
		for _, p := range procs {
			for _, s := range specs {
				var runs []job.Run
				if getJSON(p.api, "/v1/jobs/"+s.Name+"/runs", &runs) != nil || !sameRuns(runs, hist[s.Name]) {
					return false
				}
			}
		}
		return true
	})
	if !same {
		t.Errorf("the members' histories differ")
	}
	lines, _, err := readSink(sink, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := account(specs, hist, next, lines, faults, documented)
	report(t, c, faults)
	for _, f := range faults {
		for _, runs := range hist {
			for _, r := range runs {
				if f.run == r.ID() {
					t.Logf("the run %s was executing when paused: %s (attempt %d, token %d, %s)", f.node, r.Status, r.Attempt, r.Token, r.Reason)
				}
			}
		}
	}

	if c.sinkDups+c.ledgerDups != 0 {
		t.Errorf("duplicate starts: sink %d, ledger %d", c.sinkDups, c.ledgerDups)
	}
	if c.missedOutside != 0 || c.lateOutside != 0 {
		t.Errorf("outside the failover window: %d runs missed, %d late", c.missedOutside, c.lateOutside)
	}
	if c.missed != 0 || c.skipped != 0 {
		t.Errorf("%d scheduled runs never started (%d skipped); every outage is shorter than the deadline", c.missed, c.skipped)
	}
	if c.gaps+c.active+c.sinkNotStarted+c.succeededNoSink+c.failed+c.lostUnexplained != 0 {
		t.Errorf("runs not accounted for: %d missing, %d active, %d in the sink but not started, %d succeeded but not in the sink, %d failed, %d lost on members not faulted",
			c.gaps, c.active, c.sinkNotStarted, c.succeededNoSink, c.failed, c.lostUnexplained)
	}
	if c.notResumed != 0 {
		t.Errorf("%d faulted members did not run jobs again", c.notResumed)
	}
	if want := jobs * int(schedule/time.Second) * 95 / 100; c.scheduled < want {
		t.Errorf("only %d scheduled runs accounted, want at least %d", c.scheduled, want)
	}
	for _, s := range specs {
		if end := begin.Add(schedule); next[s.Name].Before(end) {
			t.Errorf("%s: the schedule stopped at %s, before the end of the chaos (%s)", s.Name, next[s.Name].Format(time.StampMilli), end.Format(time.StampMilli))
		}
	}
	for _, p := range c.problems {
		t.Log(p)
	}
}

// newProcs starts the members, each joined to all the others, with fixed
// ports so that a restarted member keeps its gossip and raft addresses
// (below the ephemeral range, so that no outgoing connection takes one
// while its member is down).
func newProcs(t *testing.T, dir, bin string) []*proc {
	procs := make([]*proc, members)
	for i := range procs {
		p := &proc{id: fmt.Sprintf("m%d", i+1), dir: filepath.Join(dir, fmt.Sprintf("m%d", i+1)), bin: bin, preset: preset}
		p.gossip = gossiptest.FixedAddr(t)
		p.api = gossiptest.FixedAddr(t)
		p.raft = gossiptest.FixedAddr(t)
		if err := os.MkdirAll(p.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		procs[i] = p
	}
	for _, p := range procs {
		for _, q := range procs {
			if q != p {
				p.join = append(p.join, q.gossip)
			}
		}
	}
	t.Cleanup(func() {
		for _, p := range procs {
			if p.up() {
				_ = p.signal(syscall.SIGKILL)
				<-p.exited
			}
		}
		if t.Failed() {
			t.Logf("agent logs:\n%s", logsTail(procs))
		}
	})
	for _, p := range procs {
		p.start(t)
	}
	return procs
}

// runChaos kills the leader every killEvery and pauses one executor once,
// until schedule has passed since begin. It returns the faults.
func runChaos(t *testing.T, procs []*proc, sink string, begin time.Time) []fault {
	var (
		faults   []fault
		nextKill = begin.Add(killEvery)
		target   *proc // the member to pause
		paused   time.Time
		sinkOff  int64
		pauseRun string
	)
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	for ; time.Now().Before(begin.Add(schedule)); <-pace.C {
		now := time.Now()
		switch {
		case target == nil && paused.IsZero() && now.After(begin.Add(pauseAt)):
			// Pick a member that does not lead, and watch the sink for a
			// run it begins.
			l, err := leader(procs, "", 30*time.Second)
			if err != nil {
				t.Fatalf("no leader before the pause: %v\n%s", err, logsTail(procs))
			}
			for _, p := range procs {
				if p != l && p.up() {
					target = p
				}
			}
			_, sinkOff, _ = readSink(sink, 0)
		case target != nil && paused.IsZero():
			var lines []sinkLine
			lines, sinkOff, _ = readSink(sink, sinkOff)
			for _, l := range lines {
				if l.node == target.id && paused.IsZero() {
					// Its command printed the line and sleeps: stop the
					// agent and the command mid-run.
					if err := target.signal(syscall.SIGSTOP); err != nil {
						t.Fatal(err)
					}
					paused, target.stopped, pauseRun = time.Now(), true, l.key()
				}
			}
		case target != nil && now.Sub(paused) >= pauseFor:
			if err := target.signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			target.stopped = false
			faults = append(faults, fault{kind: "pause", node: target.id, at: paused, end: time.Now(), run: pauseRun})
			t.Logf("t=%5.1fs paused %s for %v, mid-run of %s", paused.Sub(begin).Seconds(), target.id, time.Since(paused).Round(time.Millisecond), pauseRun)
			target = nil
		case now.After(nextKill):
			nextKill = nextKill.Add(killEvery)
			l, err := leader(procs, "", 30*time.Second)
			if err != nil {
				t.Fatalf("no leader to kill: %v\n%s", err, logsTail(procs))
			}
			killed := time.Now()
			l.kill(t)
			nl, err := leader(procs, l.id, 30*time.Second)
			if err != nil {
				t.Fatalf("no leader after killing %s: %v\n%s", l.id, err, logsTail(procs))
			}
			elected := time.Since(killed)
			l.start(t)
			faults = append(faults, fault{kind: "kill", node: l.id, at: killed, end: killed})
			t.Logf("t=%5.1fs killed leader %s; %s leads after %v; %s restarted", killed.Sub(begin).Seconds(), l.id, nl.id, elected.Round(time.Millisecond), l.id)
		}
	}
	if target != nil && !paused.IsZero() {
		_ = target.signal(syscall.SIGCONT)
		target.stopped = false
		faults = append(faults, fault{kind: "pause", node: target.id, at: paused, end: time.Now()})
	}
	return faults
}
