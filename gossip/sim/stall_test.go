package sim

import (
	"testing"
	"time"
)

// TestStalls: every member of 64 stalls now and then (a loaded machine).
func TestStalls(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded simulation: make test runs it without -race (gossip/test-extra.sh)")
	}
	for _, tc := range []struct {
		loss, streams float64
		every, length time.Duration
	}{
		{0, 0, time.Second, 300 * time.Millisecond},
		{0, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{0.3, 0.3, time.Second, 300 * time.Millisecond},
	} {
		total := 0
		for sd := uint64(1); sd <= 3; sd++ {
			r := mustRun(t, Options{Scenario: ScenarioFalsePos, Nodes: 64, Seed: sd, Preset: "local",
				Loss: tc.loss, StreamFailure: tc.streams, StallEvery: tc.every, StallLength: tc.length,
				Duration: 30 * time.Second, Limit: time.Minute})
			total += r.FalseFailures
			t.Logf("%+v seed %d: false %d (%d members) refutations %d converge %+v", tc, sd, r.FalseFailures, r.FalselyFailed, r.Refutations, r.Converge)
		}
	}
}
