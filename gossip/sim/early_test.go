package sim

import (
	"slices"
	"testing"
	"time"
)

// TestEarlyGossipSpread compares early gossip rounds (news is gossiped at once,
// at most one early round per GossipInterval) with the rule before them
// (news waits for the next round, up to GossipInterval after the last):
//
//   - a metadata change made right after formation, while the join
//     announcements are still gossiped (every member gossiped within the
//     last interval), seeds 1-5: the largest spread time (max over
//     members) went from 0.47 s to 0.23 s at 64 members and from 0.73 s
//     to 0.31 s at 256; the median member's (p50), worst over the seeds,
//     from 0.25 s to 0.010 s at 64 and from 0.34 s to 0.006 s at 256;
//   - a formed cluster with nothing to gossip sends the same packets and
//     bytes either way;
//   - 30% loss at the fast (local) settings, where news of refutations
//     comes every interval: packets per member-second went up 16%, bytes
//     down 4%; the rate of rounds is bounded by twice the configured one
//     (three times with a member's own news) and only while news comes.
func TestEarlyGossipSpread(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded simulation: make test runs it without -race (gossip/test-extra.sh)")
	}
	for _, tc := range []struct {
		n                  int
		maxRatio, maxMed50 float64
	}{
		{64, 0.6, 0.02},
		{256, 0.6, 0.02},
	} {
		var worst [2]float64 // early rounds, before
		var p50 [2][]float64
		for sd := uint64(1); sd <= 5; sd++ {
			for i, disable := range []bool{false, true} {
				r := mustRun(t, Options{Scenario: ScenarioMeta, Nodes: tc.n, Seed: sd, DisableEarlyGossip: disable})
				if !r.Converged || r.Meta == nil || r.Meta.N != tc.n-1 {
					t.Fatalf("%d members seed %d (disable %v): the change did not reach every member: %+v", tc.n, sd, disable, r.Meta)
				}
				worst[i] = max(worst[i], r.Meta.Max)
				p50[i] = append(p50[i], r.Meta.P50)
			}
		}
		slices.Sort(p50[0])
		slices.Sort(p50[1])
		t.Logf("%d members, seeds 1-5: meta max %.3f s (before %.3f s), p50 %.3f (before %.3f)", tc.n, worst[0], worst[1], p50[0], p50[1])
		if worst[0] > tc.maxRatio*worst[1] {
			t.Errorf("%d members: largest meta spread time %.3f s, want at most %.1f× the old rule's %.3f s", tc.n, worst[0], tc.maxRatio, worst[1])
		}
		if p50[0][len(p50[0])-1] > tc.maxMed50 {
			t.Errorf("%d members: meta p50 over seeds %v s, want all at most %v s", tc.n, p50[0], tc.maxMed50)
		}
	}

	// Nothing to gossip: the same traffic.
	for _, o := range []Options{
		{Scenario: ScenarioConverge, Nodes: 64, Seed: 1, Prebuilt: true, Duration: 4 * time.Minute},
		{Scenario: ScenarioConverge, Nodes: 256, Seed: 1, Settle: 30 * time.Second, Duration: time.Minute},
	} {
		now := mustRun(t, o)
		o.DisableEarlyGossip = true
		was := mustRun(t, o)
		t.Logf("%d members steady: %.3f packets, %.1f bytes per member-second (before %.3f, %.1f)",
			o.Nodes, now.MsgsPerNodeSec, now.BytesPerNodeSec, was.MsgsPerNodeSec, was.BytesPerNodeSec)
		if now.MsgsPerNodeSec > 1.01*was.MsgsPerNodeSec || now.BytesPerNodeSec > 1.01*was.BytesPerNodeSec {
			t.Errorf("%d members steady: %.3f packets, %.1f bytes per member-second, want those of the old rule (%.3f, %.1f)",
				o.Nodes, now.MsgsPerNodeSec, now.BytesPerNodeSec, was.MsgsPerNodeSec, was.BytesPerNodeSec)
		}
	}

	// Heavy loss: news every interval.
	var msgs, bytes [2]float64
	for sd := uint64(1); sd <= 5; sd++ {
		for i, disable := range []bool{false, true} {
			r := mustRun(t, Options{Scenario: ScenarioFalsePos, Nodes: 64, Seed: sd, Preset: "local", Loss: 0.3,
				Duration: 30 * time.Second, Limit: time.Minute, DisableEarlyGossip: disable})
			msgs[i] += r.MsgsPerNodeSec
			bytes[i] += r.BytesPerNodeSec
		}
	}
	t.Logf("30%% loss, seeds 1-5: %.1f packets, %.0f bytes per member-second (before %.1f, %.0f)", msgs[0]/5, bytes[0]/5, msgs[1]/5, bytes[1]/5)
	if msgs[0] > 1.25*msgs[1] || bytes[0] > 1.05*bytes[1] {
		t.Errorf("30%% loss: %.1f packets, %.0f bytes per member-second, want at most 1.25× and 1.05× the old rule's %.1f, %.0f",
			msgs[0]/5, bytes[0]/5, msgs[1]/5, bytes[1]/5)
	}
}
