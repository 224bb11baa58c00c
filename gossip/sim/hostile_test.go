package sim

import (
	"math"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
)

// inject hands member i a packet as if sent by from (an unauthenticated
// sender can put anything on the wire).
func inject(t *testing.T, s *Sim, i int, from string, msgs ...wire.Message) {
	t.Helper()
	_ = s.Do(i, func(now time.Time, c *core.Core) error {
		return c.HandleMessage(now, from, wire.Encode(msgs...))
	})
}

// TestForgedMaxIncarnation: one forged Suspect at incarnation 2^64−1 about
// a live member must not make it refute with a wrapped incarnation (issue 9,
// defect 1): the cluster stays whole and the victim's incarnation sane.
func TestForgedMaxIncarnation(t *testing.T) {
	s, _ := New(Config{Seed: 4})
	if _, ok := formCluster(s, 5, time.Minute); !ok {
		t.Fatal("no convergence")
	}
	const victim = 2
	before := s.Members()[victim].Core.LocalNode().Incarnation
	inject(t, s, victim, "attacker", &wire.Suspect{Incarnation: math.MaxUint64, ID: NodeID(victim), From: "attacker"})
	inject(t, s, 1, "attacker", &wire.Dead{Incarnation: math.MaxUint64, ID: NodeID(victim), From: "attacker"})
	s.RunFor(30 * time.Second)
	after := s.Members()[victim].Core.LocalNode().Incarnation
	if after < before || after > before+1 {
		t.Errorf("victim's incarnation %d -> %d", before, after)
	}
	if !s.Converged() {
		for _, m := range s.Members() {
			st, _ := m.Core.StateOf(NodeID(victim))
			t.Logf("%s sees victim as %v", m.ID, st)
		}
		t.Fatal("views did not converge after a forged max-incarnation suspicion")
	}
	if got := s.Members()[victim].Core.Stats().IncarnationRefused + s.Members()[1].Core.Stats().IncarnationRefused; got < 2 {
		t.Errorf("IncarnationRefused = %d, want ≥ 2", got)
	}
}
