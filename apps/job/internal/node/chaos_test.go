package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/apps/job/internal/percentile"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// TestChaos is the in-process variant of the chaos test (the process one,
// with real SIGKILL and SIGSTOP, is apps/job/chaos, make job-chaos): 3 jobs
// @every 1s for 15 s on 5 members in one process, whose action appends
// (job, scheduled time, node) to an idempotency-checking sink, while the
// leader is killed every 7 s (and restarted) and one executor's action is
// held mid-run. It runs with every go test, under the race detector, and
// checks: no run started twice (sink and ledger), no scheduled time missing
// from the ledger, no run skipped, every run that reached the sink started
// in the ledger, every run final at the end.
func TestChaos(t *testing.T) {
	jobs, dur, killEvery := 3, 15*time.Second, 7*time.Second
	c := newCluster(t, 5)
	c.startN(5)
	lead := c.leader(60 * time.Second)
	s := newSink(t)
	specs := make([]job.Spec, jobs)
	for i := range specs {
		specs[i] = httpJob(fmt.Sprintf("j%d", i), s.srv.URL)
		specs[i].Timeout = 5 * time.Second
		putJob(t, "http://"+lead.n.Addr(), specs[i])
	}
	begin := time.Now()

	// One executor (not the leader) gets stuck mid-run for 2 s.
	for _, m := range c.up() {
		if m != lead {
			s.pause(m.id)
			break
		}
	}
	go func() {
		select {
		case <-s.paused:
			time.Sleep(2 * time.Second) // the stuck executor's pause, not a wait for a condition
		case <-time.After(dur):
		}
		s.releaseAll()
	}()

	var kills []time.Time
	next := begin.Add(killEvery)
	for time.Now().Before(begin.Add(dur)) {
		if time.Now().Before(next) {
			time.Sleep(50 * time.Millisecond) // pacing the chaos schedule
			continue
		}
		next = next.Add(killEvery)
		l := c.leader(60 * time.Second)
		kills = append(kills, time.Now())
		c.kill(l.id)
		nl := c.leader(60 * time.Second)
		c.start(l.id, nl.id) // back as a follower, same data
	}

	// A loaded machine leaves the scheduler behind the clock (it catches
	// up on every scheduled time, one by one): let it reach the end of the
	// chaos before scheduling stops, so that the count below measures runs
	// lost or skipped, not the machine's speed. A stalled schedule still
	// fails here.
	end := begin.Add(dur)
	gossiptest.WaitFor(t, 2*time.Minute, "every job's runs scheduled up to the end of the chaos", func() bool {
		caught := true
		c.leader(60 * time.Second).n.FSM().View(func(led *job.Ledger) {
			for _, sp := range specs {
				if h := led.History(sp.Name); len(h) == 0 || h[len(h)-1].At.Before(end.Add(-time.Second)) {
					caught = false
				}
			}
		})
		return caught
	})

	// Stop scheduling, then wait for every run to be final.
	lead = c.leader(60 * time.Second)
	for _, sp := range specs {
		sp.Disabled = true
		putJob(t, "http://"+lead.n.Addr(), sp)
	}
	gossiptest.WaitFor(t, 60*time.Second, "every run final", func() bool {
		l := c.leader(60 * time.Second)
		active := 0
		l.n.FSM().View(func(led *job.Ledger) {
			for _, sp := range specs {
				active += len(led.Active(sp.Name))
			}
		})
		return active == 0
	})

	// Count.
	var (
		runs, started, succeeded, failed, lost, skipped, missed, doubleStarts int
		late                                                                  []time.Duration
		startedRuns                                                           []job.Run
		notInLedger                                                           int
	)
	ledgerStarted := map[string]bool{}
	c.leader(60 * time.Second).n.FSM().View(func(led *job.Ledger) {
		for _, sp := range specs {
			h := led.History(sp.Name)
			for i, r := range h {
				runs++
				if i > 0 {
					// Consecutive scheduled times are one second apart:
					// a larger gap is a scheduled time missing.
					missed += int(r.At.Sub(h[i-1].At)/time.Second) - 1
				}
				if r.Starts > 1 {
					doubleStarts++
				}
				switch r.Status {
				case job.Succeeded:
					succeeded++
				case job.Failed:
					failed++
				case job.Lost:
					lost++
				case job.Skipped:
					skipped++
				}
				if !r.StartedAt.IsZero() {
					started++
					ledgerStarted[r.ID()] = true
					late = append(late, r.StartedAt.Sub(r.At))
					startedRuns = append(startedRuns, r)
				}
			}
		}
	})
	s.mu.Lock()
	for id := range s.seen {
		if !ledgerStarted[id] {
			notInLedger++
		}
	}
	s.mu.Unlock()
	sinkRuns, dups := s.stats()

	// The failover window of a kill: the largest start lateness among runs
	// scheduled from 1 s before the kill to 5 s after it.
	var windows []time.Duration
	for _, k := range kills {
		var w time.Duration
		for _, r := range startedRuns {
			if !r.At.Before(k.Add(-time.Second)) && r.At.Before(k.Add(5*time.Second)) {
				w = max(w, r.StartedAt.Sub(r.At))
			}
		}
		windows = append(windows, w)
	}
	t.Logf("chaos: %d jobs, %v, %d leader kills, 1 executor stuck 2s mid-run", jobs, dur, len(kills))
	t.Logf("ledger: %d runs, %d started, %d succeeded, %d failed, %d lost, %d skipped, %d missed, %d started twice",
		runs, started, succeeded, failed, lost, skipped, missed, doubleStarts)
	t.Logf("sink: %d runs, %d duplicates, %d not started in the ledger", sinkRuns, dups, notInLedger)
	t.Logf("start lateness: p50 %v max %v; failover window per kill: p50 %v max %v (%v)",
		percentile.Of(late, 50), percentile.Of(late, 100), percentile.Of(windows, 50), percentile.Of(windows, 100), windows)

	if dups != 0 || doubleStarts != 0 {
		t.Errorf("duplicate starts: sink %d, ledger %d", dups, doubleStarts)
	}
	if missed != 0 || skipped != 0 {
		t.Errorf("missed %d, skipped %d scheduled runs", missed, skipped)
	}
	if notInLedger != 0 {
		t.Errorf("%d runs reached the sink without a start in the ledger", notInLedger)
	}
	if want := jobs * int(dur/time.Second) * 8 / 10; runs < want {
		t.Errorf("only %d runs recorded, want at least %d", runs, want)
	}
	if failed != 0 {
		t.Errorf("%d runs failed", failed)
	}
}
