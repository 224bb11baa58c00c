package sim

import (
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
)

// TestSickMemberReadmitted: a member that loses 80% of what it sends and
// receives, streams included, for 30 s (64 members, local preset, 5 ms
// + [0, 5 ms) latency) is declared failed; once it recovers, every view
// must be whole again within 10 s. Most members readmit it through the
// gossip of those that checked it; the few the gossip misses wait for
// their own reconnect try. When each member tried with probability
// failed/live (the cluster then tried a failed member about once per
// interval), this took 17-28 s on seeds 1-12 (5.4-7.6 s when every
// member tries; 0.6-4.8 s since tries ping first and readmission is
// gossiped on).
func TestSickMemberReadmitted(t *testing.T) {
	for _, sd := range []uint64{1, 2, 3, 4}[:seedsUnderRace(4, 1)] {
		s, _ := New(Config{Seed: sd, Core: core.LocalConfig(), Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond})
		if _, ok := formCluster(s, 64, time.Minute); !ok {
			t.Fatalf("seed %d: no convergence", sd)
		}
		const sick = 63
		s.SetFault(sick, 0.8, 0.8, 0)
		s.SetStreamFault(sick, 0.8)
		s.RunFor(30 * time.Second)
		s.SetFault(sick, 0, 0, 0)
		s.SetStreamFault(sick, 0)
		t0 := s.Now()
		if !s.RunUntil(t0.Add(10*time.Second), s.Converged) {
			t.Errorf("seed %d: views not whole 10 s after the sick member recovered", sd)
		}
	}
}
