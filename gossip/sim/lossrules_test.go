package sim

import (
	"testing"
	"time"
)

// TestLossRules: heavy uniform loss on 64 members at the fast (local)
// settings for 30 s, seeds 1-5, the runs that motivated three rules of
// issue 15 (sums over the five seeds, before -> after):
//
//   - a refuting member tells its accuser directly (the accuser's own
//     suspicion otherwise runs out when a gossiped refutation misses it);
//   - only a member whose own full probe failed skips the last-chance
//     check: one unanswered confirmation ping is no evidence at 30% loss;
//   - a stale death of a flapping member makes a member that applied a
//     later refutation suspect it itself (TestFlipFlop seed 7), and a
//     flapping member suspected again at a later incarnation keeps the
//     clock of the running suspicion (TestFlipFlop seed 2);
//   - a flapping member's refutation gets six reachability checks, not
//     three, before it is declared failed (every member checks every
//     refutation, and three checks in a row go unanswered for a healthy
//     member about once in 300 at 30% loss), and a member that heard of
//     a suspicion gets six last-chance checks, not three.
//
// And two that cut stream dials (30% loss and 30% of streams failing,
// five runs, streams opened 102,555 before the rules, 77,725 after the
// ones above): the probe's stream ping waits a third of the remaining
// probe time for the indirect probes, backs off per member while stream
// pings go unanswered, and the first reachability check of a suspicion
// sends none (22,004 streams); and a failure declared by the one member
// whose word is all a member holds against the suspect adds nothing
// (TestSickMember: the sick member's own declarations failed 17 healthy
// members once the first check went without a stream ping).
//
// And on a lossy network (this member's own direct pings often go
// unanswered) a flapping member's refutation gets twelve checks instead of
// six: at 30% loss every member flaps, every member checks every
// refutation, and runs of five misses in six checks of healthy members
// made most of the remaining false failures. Of those left, most were
// declared by a member whose own probe had failed and which, missed by
// the gossip of the suspect's refutation, skipped the last-chance check;
// it now checks when the suspect flaps (has refuted recently).
//
// 30% loss: 193 -> 23 -> 6 -> 8 -> 7 -> 2 false failure declarations; 30%
// loss and 30% of streams failing: 330 -> 112 -> 31 -> 12 -> 14 -> 5 -> 3;
// views whole within 10 s of the loss ending.
//
// News that first rides on an ack keeps its early round (core
// TestEarlyGossipAfterPiggyback) moved the five seeds' sums to 5 and 9
// without changing the mean: over seeds 1-12 the counts were 8 and 13
// before, 11 and 13 after. The bound on 30% + 30% is therefore 10: five
// seeds cannot tell 1 from 2 per run apart, but they catch the collapse
// this test exists for (hundreds).
func TestLossRules(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded simulation: make test runs it without -race (gossip/test-extra.sh)")
	}
	for _, tc := range []struct {
		loss, streams float64
		maxFalse      int
		maxStreams    uint64
	}{
		{0.1, 0, 0, 5_000},
		{0.3, 0, 6, 35_000},
		{0.3, 0.3, 10, 30_000},
	} {
		total, streams := 0, uint64(0)
		for sd := uint64(1); sd <= 5; sd++ {
			r := mustRun(t, Options{Scenario: ScenarioFalsePos, Nodes: 64, Seed: sd, Preset: "local",
				Loss: tc.loss, StreamFailure: tc.streams, Duration: 30 * time.Second, Limit: time.Minute})
			if r.Converge == nil || r.Converge.Max > 10 {
				t.Errorf("loss %v+%v seed %d: views not whole within 10 s: %+v", tc.loss, tc.streams, sd, r.Converge)
			}
			total += r.FalseFailures
			streams += r.Streams
		}
		t.Logf("loss %v, streams %v: %d false failure declarations, %d streams in 5 runs", tc.loss, tc.streams, total, streams)
		if streams > tc.maxStreams {
			t.Errorf("loss %v, streams %v: %d streams opened in 5 runs, want at most %d", tc.loss, tc.streams, streams, tc.maxStreams)
		}
		if total > tc.maxFalse {
			t.Errorf("loss %v, streams %v: %d false failure declarations in 5 runs, want at most %d", tc.loss, tc.streams, total, tc.maxFalse)
		}
	}
}
