package job_test

import (
	"fmt"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
)

// A leader that comes back after a 5-minute outage: the job's deadline is
// one minute and it catches up once, so the latest missed run starts, the
// older ones are recorded skipped, and the runs still within the deadline
// start late.
func ExampleReconcile() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	spec := job.Spec{Name: "report", Schedule: "@every 1m", Command: []string{"report"}, CatchUp: job.Once}
	l := job.NewLedger()
	if _, err := l.Apply(1, job.Command{Op: job.OpPut, Now: t0, Spec: &spec}); err != nil {
		panic(err)
	}
	now := t0.Add(5*time.Minute + 30*time.Second)
	for _, a := range job.Reconcile(l, map[string]bool{"n1": true}, now, job.Timing{DispatchTimeout: 5 * time.Second}) {
		fmt.Println(a.Kind, a.At.Format("15:04"), a.Reason)
	}
	// Output:
	// skip 00:01 missed: catch-up once
	// skip 00:02 missed: catch-up once
	// skip 00:03 missed: catch-up once
	// dispatch 00:04 catch-up once
	// dispatch 00:05
}

// The ledger refuses a start that carries a superseded fencing token.
func ExampleLedger_Apply() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	spec := job.Spec{Name: "a", Schedule: "@every 1s", Command: []string{"true"}}
	l := job.NewLedger()
	l.Apply(1, job.Command{Op: job.OpPut, Now: t0, Spec: &spec})
	at := t0.Add(time.Second)
	first, _ := l.Apply(2, job.Command{Op: job.OpDispatch, Now: at, Job: "a", At: at, Attempt: 1, Executor: "n1"})
	// n1 never answered; the run is sent to n2 with a new token.
	l.Apply(3, job.Command{Op: job.OpDispatch, Now: at, Job: "a", At: at, Attempt: 1, Executor: "n2"})
	_, err := l.Apply(4, job.Command{Op: job.OpStart, Job: "a", At: at, Token: first.Token, Executor: "n1"})
	fmt.Println(err)
	r, _ := l.Apply(5, job.Command{Op: job.OpStart, Job: "a", At: at, Token: 3, Executor: "n2"})
	fmt.Println(r.ID(), r.Status, r.Executor, r.Token)
	// Output:
	// job: fenced: a@2026-01-01T00:00:01Z token 2, run has 3
	// a@2026-01-01T00:00:01Z running n2 3
}
