package gossiptest

import (
	"testing"
	"time"
)

// PollInterval is how often [Eventually] and [WaitFor] check their
// condition.
const PollInterval = 10 * time.Millisecond

// Eventually polls cond every PollInterval until it is true, and fails t if
// it is still false after Timeout.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, Timeout, what, cond)
}

// WaitFor polls cond every PollInterval until it is true and returns how
// long that took; it fails t (t.Fatalf, so call it from the test's
// goroutine) if cond is still false after d. Inside a testing/synctest
// bubble the wait and the returned duration are in virtual time. cond runs
// on the caller's goroutine; the deadline is checked between its calls, so
// a cond that blocks makes the wait overrun d by as long.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
	return time.Since(start)
}
