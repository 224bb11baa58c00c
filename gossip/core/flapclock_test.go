package core

import (
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// TestKeptClockDeclaresAtItsIncarnation: a suspicion of a flapping member
// that kept the clock of an earlier suspicion (its refutation noted, then
// a suspicion at the refuted incarnation) is declared failed at the
// incarnation whose suspicion started the clock, so members that only
// just suspect the later incarnation do not take the verdict as theirs.
func TestKeptClockDeclaresAtItsIncarnation(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1), alive("e", 1))
	now, inc := t0, uint64(1)
	for i := 0; i < c.cfg.FlapThreshold; i++ {
		now = now.Add(time.Second)
		feed(t, c, now, "c:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "c"})
		inc++
		feed(t, c, now, "b:1", alive("b", inc))
	}
	if !c.damped(now, "b") {
		t.Fatal("b not damped")
	}
	feed(t, c, now, "c:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "c"})
	feed(t, c, now, "b:1", alive("b", inc+1)) // noted, not applied
	feed(t, c, now, "d:1", &wire.Suspect{Incarnation: inc + 1, ID: "b", From: "d"})
	if _, s := c.findSuspicion("b"); s == nil || s.inc != inc+1 || s.clockInc != inc {
		t.Fatalf("suspicion %+v, want incarnation %d on the clock of %d", s, inc+1, inc)
	}
	var dead *wire.Dead
	for end := now.Add(5 * time.Minute); dead == nil && now.Before(end); now = now.Add(10 * time.Millisecond) {
		c.Tick(now)
		for _, o := range c.Ready().Messages {
			msgs, _ := wire.DecodePacket(o.Data)
			for _, m := range msgs {
				if d, ok := m.(*wire.Dead); ok && d.ID == "b" {
					dead = d
				}
			}
		}
	}
	if dead == nil {
		t.Fatal("b never declared failed")
	}
	if dead.Incarnation != inc || dead.From != "a" {
		t.Errorf("declared %+v, want incarnation %d from a", dead, inc)
	}
	if st, _ := c.StateOf("b"); st != StateDead {
		t.Errorf("b is %v, want dead", st)
	}
	checkInvariants(t, c)
}
