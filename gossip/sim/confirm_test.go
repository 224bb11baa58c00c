package sim

import (
	"math"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
)

// TestExtraConfirmationsShortenSuspicion: a member crashes in a 64-member
// cluster on the LAN preset, seeds 1-3. Lifeguard's suspicion timeout
// shrinks with confirmations only down to its minimum (2·log10(N) probe
// intervals, 3.6 s here), so no member could declare the crash failed
// sooner than that after the first suspicion. A crashed member draws more
// than k confirmations within about 1.5 s, and the rule lets the timeout
// shrink on past k, to two thirds of the minimum: the first verdict comes
// 2.4 s after the first suspicion (40 seeds: detection max 5.65 s ->
// 4.52 s median). Every live member still declares the crash, and nobody
// else is declared failed.
func TestExtraConfirmationsShortenSuspicion(t *testing.T) {
	const n = 64
	cfg := core.LANConfig()
	// The minimum at the accuser, which counts n live members.
	minTimeout := time.Duration(float64(cfg.SuspicionMult) * math.Log10(n) * float64(cfg.ProbeInterval))
	for sd := uint64(1); sd <= 3; sd++ {
		s, err := New(Config{Seed: sd, Core: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if !prebuild(s, n) {
			t.Fatalf("seed %d: prebuilt cluster not whole", sd)
		}
		s.RunFor(5 * time.Second)
		victim := s.members[n/2].ID
		var firstSuspect, firstFailed time.Time
		declared := map[string]bool{}
		wrong := 0
		s.OnEvent(func(obs *Member, e core.Event) {
			switch {
			case e.Type == core.EventSuspect && e.Member.ID == victim && firstSuspect.IsZero():
				firstSuspect = s.Now()
			case e.Type == core.EventFailed && e.Member.ID == victim:
				if firstFailed.IsZero() {
					firstFailed = s.Now()
				}
				declared[obs.ID] = true
			case e.Type == core.EventFailed:
				wrong++
			}
		})
		s.Crash(n / 2)
		s.RunUntil(s.Now().Add(time.Minute), func() bool { return len(declared) == n-1 })
		if len(declared) != n-1 {
			t.Fatalf("seed %d: crash declared by %d of %d live members", sd, len(declared), n-1)
		}
		if wrong > 0 {
			t.Errorf("seed %d: %d failure declarations of live members", sd, wrong)
		}
		gap := firstFailed.Sub(firstSuspect)
		t.Logf("seed %d: first verdict %v after the first suspicion (minimum %v)", sd, gap, minTimeout)
		if gap >= minTimeout*3/4 {
			t.Errorf("seed %d: first verdict %v after the first suspicion, want under 3/4 of the minimum %v", sd, gap, minTimeout)
		}
	}
}
