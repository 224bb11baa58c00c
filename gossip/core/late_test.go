package core

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// tickLate ticks c rounds times, each time late after its deadline, and
// returns the events.
func tickLate(c *Core, rounds int, late time.Duration) []Event {
	var evs []Event
	for range rounds {
		c.Tick(c.NextDeadline().Add(late))
		evs = append(evs, c.Ready().Events...)
	}
	return evs
}

func count(evs []Event, typ EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestLateMemberHoldsVerdicts(t *testing.T) {
	newLate := func(disable bool) *Core {
		cfg := LANConfig()
		cfg.ID, cfg.Addr, cfg.Rand = "a", "a:1", rand.NewPCG(1, 2)
		cfg.DisableLateHold = disable
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.Tick(t0)
		feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1))
		return c
	}
	late := 3 * LANConfig().ProbeTimeout // well past half a probe timeout

	// Nobody answers, but every tick comes late: no missing ack is
	// evidence, so no suspicion.
	c := newLate(false)
	if n := count(tickLate(c, 60, late), EventSuspect); n != 0 {
		t.Errorf("a late member raised %d suspicions of its own", n)
	}
	st := c.Stats()
	if st.LateTicks == 0 || st.LateHolds == 0 || st.Awareness == 0 {
		t.Errorf("late ticks not counted or local health unchanged: %+v", st)
	}
	// On time again, the same silence is evidence.
	if n := count(tickLate(c, 60, 0), EventSuspect); n == 0 {
		t.Error("no suspicion once the member runs on time")
	}

	// The rule switched off: the late member suspects.
	c = newLate(true)
	if n := count(tickLate(c, 60, late), EventSuspect); n == 0 {
		t.Error("DisableLateHold: no suspicion although nobody answers")
	}
	if st := c.Stats(); st.LateTicks != 0 || st.LateHolds != 0 {
		t.Errorf("DisableLateHold: lateness counted: %+v", st)
	}

	// A suspicion heard of while late is held a bounded number of times:
	// a crashed member is still declared failed by a member that stays
	// loaded.
	c = newLate(false)
	feed(t, c, t0, "c:1", &wire.Suspect{Incarnation: 1, ID: "b", From: "c"})
	evs := tickLate(c, 400, late)
	if count(evs, EventFailed) == 0 {
		t.Fatal("a suspicion never ended in a failure on a member that stays late")
	}
	if st := c.Stats(); st.LateHolds < maxLateHolds {
		t.Errorf("verdict held %d times, want at least %d", st.LateHolds, maxLateHolds)
	}
}
