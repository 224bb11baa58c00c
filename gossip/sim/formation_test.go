package sim

import (
	"testing"
	"time"
)

// TestFormationAfterLastJoin forms 1,000 members from one seed with joins
// 6 ms apart and update queues bounded to 128, so that queues overflow
// during the burst and some announcements are dropped before everyone
// heard them. (Bounded to 256 they overflowed until news was gossiped
// in early rounds, which drain them faster: 271,527 updates dropped
// before, none after, and the last member converged 4.1 rounds after
// the last join instead of 7.4. At 128: 5,758 dropped, 2.3 rounds.) The repair exchange after a member's last drop
// must bring every member to a full view within a few gossip rounds of the
// last join (the epidemic bound log4(1000) is 5 rounds), instead of
// waiting for a periodic full-state exchange (about 200 rounds before the
// rule).
func TestFormationAfterLastJoin(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded simulation: make test runs it without -race (gossip/test-extra.sh)")
	}
	if testing.Short() {
		t.Skip("long simulation")
	}
	const (
		n         = 1000
		maxRounds = 10
	)
	cc, err := Preset("lan")
	if err != nil {
		t.Fatal(err)
	}
	cc.MaxUpdateQueue = 128
	s, err := New(Config{Seed: 1, Core: cc, SizeHint: n})
	if err != nil {
		t.Fatal(err)
	}
	spread := n * 6 * time.Millisecond
	conv, ok := formClusterSpread(s, n, 2*time.Minute, spread)
	if !ok {
		t.Fatalf("%d members did not converge", n)
	}
	var dropped uint64
	for _, m := range s.members {
		dropped += m.Core.Stats().UpdatesDropped
	}
	if dropped == 0 {
		t.Fatal("no update was dropped: the run does not exercise the repair rule")
	}
	lastJoin := spread * (n - 1) / n
	rounds := float64(maxDur(conv)-lastJoin) / float64(cc.GossipInterval)
	t.Logf("seed 1: last member converged %.1f rounds after the last join (%d updates dropped)", rounds, dropped)
	if rounds > maxRounds {
		t.Errorf("last member converged %.1f gossip rounds after the last join, want <= %d", rounds, maxRounds)
	}
}
