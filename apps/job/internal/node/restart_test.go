package node

import (
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// An executor that dies mid-run and comes back without memory of the run:
// the leader asks it, learns nothing, and records the non-idempotent run
// lost (never started again); the idempotent one gets a second attempt.
func TestExecutorRestartedMidRun(t *testing.T) {
	for _, idem := range []bool{false, true} {
		t.Run(map[bool]string{false: "not idempotent", true: "idempotent"}[idem], func(t *testing.T) {
			c := newCluster(t, 3)
			c.startN(3)
			lead := c.leader(60 * time.Second)
			s, spec, id := restartMidRun(t, c, lead, "slow", func(spec *job.Spec) {
				spec.Timeout, spec.Idempotent, spec.Retries = 2*time.Second, idem, 1
			})
			spec.Tags = nil // let the retry run anywhere
			putJob(t, "http://"+lead.n.Addr(), spec)
			var last job.Run
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("last state of the run: %+v", last)
				}
			})
			gossiptest.WaitFor(t, 20*time.Second, "the run settled", func() bool {
				var r job.Run
				lead.n.FSM().View(func(l *job.Ledger) {
					if p := l.Runs[id]; p != nil {
						r = *p
					}
				})
				last = r
				if idem {
					return r.Attempt == 2 && r.Status == job.Succeeded && r.Starts == 2
				}
				return r.Status == job.Lost && r.Starts == 1
			})
			s.mu.Lock()
			n := len(s.seen[id])
			s.mu.Unlock()
			if want := map[bool]int{false: 1, true: 2}[idem]; n != want {
				t.Fatalf("the sink saw run %s %d times, want %d", id, n, want)
			}
		})
	}
}

// An executor killed and restarted (a new process, TagBoot changes) while
// it runs a one-hour job is asked at once: the leader does not wait for
// the job's timeout plus the query grace (an hour each here) to learn that
// the run is forgotten, and records it lost.
func TestExecutorRebootQueriedAtOnce(t *testing.T) {
	c := newCluster(t, 3, WithQueryGrace(time.Hour))
	c.startN(3)
	lead := c.leader(60 * time.Second)
	_, _, id := restartMidRun(t, c, lead, "long", func(spec *job.Spec) { spec.Timeout = time.Hour })
	var last job.Run
	gossiptest.WaitFor(t, 20*time.Second, "the forgotten run recorded lost", func() bool {
		lead.n.FSM().View(func(l *job.Ledger) { last = *l.Runs[id] })
		return last.Status == job.Lost
	})
	t.Logf("run %s: %s (%s)", id, last.Status, last.Reason)
}

// restartMidRun puts job name (an HTTP call to a sink, changed by mod)
// that only a member other than the leader may run, waits until that
// member is running it, disables the job, and kills and restarts the
// member. It returns the sink, the disabled spec and the run's id.
func restartMidRun(t *testing.T, c *cluster, lead *tmember, name string, mod func(*job.Spec)) (*sink, job.Spec, string) {
	t.Helper()
	var victim *tmember
	for _, m := range c.up() {
		if m != lead {
			victim = m
		}
	}
	s := newSink(t)
	s.pause(victim.id)
	spec := httpJob(name, s.srv.URL)
	mod(&spec)
	// Only the victim may run it.
	spec.Tags = map[string]string{"job_api": victim.n.Addr()}
	putJob(t, "http://"+lead.n.Addr(), spec)
	var id string
	select {
	case id = <-s.paused:
	case <-time.After(60 * time.Second):
		t.Fatal("the run never reached the sink")
	}
	spec.Disabled = true
	putJob(t, "http://"+lead.n.Addr(), spec)
	c.kill(victim.id)
	c.start(victim.id, lead.id)
	return s, spec, id
}
