package core

import "time"

// Local health from this member's own lateness (Lifeguard's idea, applied
// to the member's timers). On a machine with more work than cores a
// member's ticks come late and what it receives waits in its queue: an
// ack it "missed" may be sitting there unread, and a refutation too. So
// the missing answers such a member counts are no evidence against the
// others. A probe timer that fires more than lateSlack after it was due
// marks the member late for the next probe interval (stretched by the
// local health multiplier, which the start of a late spell raises by
// one). Meanwhile a probe that ends unanswered raises no suspicion, an
// unanswered confirmation ping confirms nothing, and a suspicion that runs
// out waits until the member has been on time for a while (at most
// maxLateHolds times per suspicion, so a crashed member is still declared
// failed by a member that stays loaded). Counted in Stats().LateTicks and
// Stats().LateHolds.
//
// On real sockets, 64 members in one process on a loaded 2-core machine
// (load 7-16, 30% loss and 30% of dials failing for 30 s) gave 10,390 and
// 14,275 false failure declarations without the rule, their protocol
// goroutines so far behind that 125,043 received packets were dropped,
// and 0-5 with it; see gossip/sim TestStalls for the simulated scenario.

// maxLateHolds bounds how often one suspicion's verdict waits for this
// member to run on time again.
const maxLateHolds = 4

// lateSlack is how late a tick may come before the member counts itself
// late: half the probe timeout.
func (c *Core) lateSlack() time.Duration { return c.cfg.ProbeTimeout / 2 }

// probeDue returns the earliest of the probe timers: when the next probe
// starts and the running probe's next step. These are always set in the
// future when made and always handled by the Tick they are due for, so
// they measure lateness; other deadlines can be found already past when
// they come into force (the reconnect timer once a first member fails).
func (c *Core) probeDue() time.Time {
	var d time.Time
	take := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if !c.leaving {
		take(c.nextProbe)
	}
	if p := c.probe; p != nil {
		if !p.indirect {
			take(p.timeoutAt)
		}
		take(p.streamAt)
		take(p.endAt)
	}
	return d
}

// noteLateness is called by Tick, before it does anything, with the probe
// timer that was due (see probeDue).
func (c *Core) noteLateness(now, due time.Time) {
	if c.cfg.DisableLateHold || due.IsZero() || now.Sub(due) <= c.lateSlack() {
		return
	}
	c.stats.LateTicks++
	if !c.late(now) {
		// At most once per late spell: acks take it down one per probe.
		c.adjustAwareness(1)
	}
	if until := now.Add(c.scaled(c.cfg.ProbeInterval)); until.After(c.lateUntil) {
		c.lateUntil = until
	}
}

// late reports whether this member ran late recently (see noteLateness).
func (c *Core) late(now time.Time) bool { return now.Before(c.lateUntil) }

// holdVerdict reports whether the verdict on suspicion s must wait because
// this member runs late; if so it moves s's deadline past the lateness.
func (c *Core) holdVerdict(now time.Time, s *suspicion) bool {
	if !c.late(now) || s.holds >= maxLateHolds {
		return false
	}
	s.holds++
	s.deadline = c.lateUntil
	c.stats.LateHolds++
	return true
}
