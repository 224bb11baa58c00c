package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/percentile"
)

// report prints the counts.
func report(t *testing.T, c tally, faults []fault) {
	kills, pauses := 0, 0
	for _, f := range faults {
		if f.kind == "kill" {
			kills++
		} else {
			pauses++
		}
	}
	t.Logf("faults: %d leader kills (SIGKILL + restart), %d executor pauses (SIGSTOP mid-run, %v)", kills, pauses, pauseFor)
	t.Logf("schedule: %d scheduled runs, %d recorded, %d missing", c.scheduled, c.recorded, c.gaps)
	t.Logf("history: %d started, %d succeeded, %d failed, %d lost (%d of them never reached the sink), %d skipped, %d active",
		c.started, c.succeeded, c.failed, c.lost, c.lostNoSink, c.skipped, c.active)
	t.Logf("sink: %d lines, %d duplicate starts; ledger: %d runs started twice; %d sink lines without a committed start",
		c.sinkLines, c.sinkDups, c.ledgerDups, c.sinkNotStarted)
	t.Logf("missed: %d (%d outside the failover window); late over %v: %d in a failover window, %d outside",
		c.missed, c.missedOutside, documented.normal, c.lateInWindow, c.lateOutside)
	t.Logf("faulted members running jobs again within %v of their fault's end (and failover): %d of %d", resumeAfter, len(faults)-c.notResumed, len(faults))
	t.Logf("start lateness: p50 %v p99 %v max %v", percentile.Of(c.lateness, 50).Round(time.Millisecond), percentile.Of(c.lateness, 99).Round(time.Millisecond), percentile.Of(c.lateness, 100).Round(time.Millisecond))
	for k, n := range c.reasons {
		t.Logf("  %4d runs %s", n, k)
	}
	var fo []string
	for _, d := range c.failovers {
		fo = append(fo, d.Round(time.Millisecond).String())
	}
	t.Logf("failover (leader kill to first dispatch by the new leader): p50 %v max %v [%s]",
		percentile.Of(c.failovers, 50).Round(time.Millisecond), percentile.Of(c.failovers, 100).Round(time.Millisecond), strings.Join(fo, " "))
}
