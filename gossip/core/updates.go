package core

import (
	"math"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// plausible reports whether incarnation inc, claimed for member m (nil if
// not known here), is believable: for a known member, within
// Config.MaxIncarnationJump above the incarnation held for it; for an
// unknown one, in the lower half of the range (maxFirstIncarnation), which
// leaves it 2^63 refutations and admits restarts that take their
// incarnation from the wall clock, even in nanoseconds. An implausible
// claim is counted in Stats().IncarnationRefused and must be dropped whole
// by the caller.
func (c *Core) plausible(m *member, inc uint64) bool {
	if m == nil {
		if inc <= maxFirstIncarnation {
			return true
		}
	} else if inc <= m.inc || inc-m.inc <= c.cfg.MaxIncarnationJump {
		return true
	}
	c.stats.IncarnationRefused++
	return false
}

// maxFirstIncarnation is the highest incarnation believed for a member not
// known here yet: half the range.
const maxFirstIncarnation = math.MaxUint64 / 2

// plausibleSelf is plausible for a claim about the local member. It
// allows half the jump, so that the refutation (one above the claim) is
// still plausible to members that hold an incarnation of ours up to half a
// jump older than our own.
func (c *Core) plausibleSelf(inc uint64) bool {
	if inc <= c.self.inc || (inc-c.self.inc <= c.cfg.MaxIncarnationJump/2 && inc < math.MaxUint64) {
		return true
	}
	c.stats.IncarnationRefused++
	return false
}

// admit reports whether one more member may be added to the table under
// the bounds on unauthenticated input (the current message's budget of new
// members and MaxMembers), and takes it from the budget. A refusal is
// counted in Stats().MembersRefused.
func (c *Core) admit() bool {
	if c.newBudget <= 0 || len(c.members) >= c.cfg.MaxMembers {
		c.stats.MembersRefused++
		return false
	}
	c.newBudget--
	return true
}

// refute answers a suspicion or death of the local member seen at inc.
// The caller has checked inc with plausibleSelf, so inc+1 cannot wrap.
// accuser, if not empty, is the member that made the accusation.
func (c *Core) refute(now time.Time, inc uint64, accuser string) {
	if c.leaving {
		return
	}
	c.stats.Refutations++
	c.self.inc = max(c.self.inc, inc) + 1
	c.adjustAwareness(1)
	c.queueUpdate(c.self.id, c.selfAlive())
	c.tellAccuser(now, accuser)
	var acc []string
	if accuser != "" {
		acc = []string{accuser}
	}
	c.emitView(now, EventRefuted, c.selfView(), acc)
}

// handleAlive applies an announcement and, if regossip and it is news,
// queues it for gossip.
func (c *Core) handleAlive(now time.Time, a *wire.Alive, regossip bool) {
	if a.ID == c.self.id {
		if !c.plausibleSelf(a.Incarnation) {
			return
		}
		switch {
		case a.Addr != c.self.addr && a.Incarnation >= c.self.inc:
			c.stats.Conflicts++
			other := makeView(a.ID, a.Addr, a.Meta, StateAlive, a.Incarnation)
			c.events = append(c.events, Event{Type: EventConflict, Time: now, Member: c.selfView(), Other: &other, Origin: c.origin})
		case a.Incarnation > c.self.inc || (a.Incarnation == c.self.inc && a.Meta != c.self.meta):
			// An announcement of ours from a previous life.
			c.refute(now, a.Incarnation, "")
		}
		return
	}
	m := c.lookup(a.ID)
	if !c.plausible(m, a.Incarnation) || (m == nil && !c.admit()) {
		return
	}
	c.joined = true
	if m == nil {
		m = c.add(a.ID, a.Addr, a.Meta, a.Incarnation, StateDead)
		c.setState(now, m, StateAlive)
		if regossip {
			c.queueFramed(a.ID, c.aliveBytes(m))
		}
		c.emit(now, EventJoin, m)
		return
	}
	if a.Incarnation < m.inc {
		c.stats.Stale++
		return
	}
	if a.Incarnation == m.inc {
		if m.state == StateAlive && a.Addr != c.who(m).addr {
			c.stats.Conflicts++
			other := makeView(a.ID, a.Addr, a.Meta, StateAlive, a.Incarnation)
			c.events = append(c.events, Event{Type: EventConflict, Time: now, Member: c.view(m), Other: &other, Origin: c.origin})
			return
		}
		if m.state != StateAlive || a.Meta == c.who(m).meta {
			return // duplicate, or not news: refutation needs a higher incarnation
		}
	}
	prev := m.state
	if prev != StateAlive && c.damped(now, c.who(m).id) && !c.readmitting {
		c.stats.Damped++
		if _, s := c.findSuspicion(c.who(m).id); prev == StateSuspect && s != nil {
			// A flapping member's refutation is noted (it is alive and
			// can send) but is applied only when the member answers
			// this member's own reachability check.
			if s.refutation == nil || a.Incarnation > s.refutation.Incarnation {
				s.refutation = a
				if regossip {
					// Others may believe it; it spreads.
					c.queueUpdate(a.ID, a)
				}
			}
			if s.lastSeq == 0 {
				c.checkReachable(now, s, m, c.cfg.ProbeInterval)
			}
			return
		}
		// A flapping member that was declared failed comes back when it
		// answers a reachability check.
		if !c.leaving {
			c.checkRejoin(now, m, a)
		}
		return
	}
	changed := a.Addr != c.who(m).addr || a.Meta != c.who(m).meta
	// A new incarnation with nothing changed is a refutation of a
	// suspicion this member did not hear of; it counts as a flap too.
	missed := prev == StateAlive && !changed && a.Incarnation > m.inc
	m.inc = a.Incarnation
	c.setIdent(m, a.Addr, a.Meta)
	if missed {
		c.recordFlap(now, c.who(m).id)
	}
	if prev != StateAlive {
		c.setState(now, m, StateAlive)
	}
	c.dropSuspicion(a.ID)
	if regossip {
		c.queueFramed(a.ID, c.aliveBytes(m))
	}
	switch {
	case prev == StateSuspect:
		if !c.readmitting {
			c.recordFlap(now, c.who(m).id)
		}
		c.emit(now, EventAlive, m)
		if changed {
			c.emit(now, EventUpdate, m)
		}
	case prev > StateSuspect:
		c.emit(now, EventJoin, m)
	case changed:
		c.emit(now, EventUpdate, m)
	}
}

// readmit applies the announcement of a flapping member that answered a
// reachability check, as if it were not damped, and gossips it on: each
// member that holds the member failed then checks it for itself at once,
// instead of when its own next full-state exchange with it brings the
// announcement (a member at 80% loss for 30 s among 64 was seen whole
// again 9.6-14.8 s after it recovered, one member readmitting it after
// another; 0.6-11 s, median 3.1, gossiped on: gossip/sim, LAN defaults
// with probe 200 ms, timeout 100 ms, gossip 50 ms, seeds 1-12).
func (c *Core) readmit(now time.Time, a *wire.Alive) {
	c.readmitting = true
	c.handleAlive(now, a, true)
	c.readmitting = false
}

func (c *Core) handleSuspect(now time.Time, s *wire.Suspect) {
	if s.ID == c.self.id {
		if s.Incarnation >= c.self.inc && c.plausibleSelf(s.Incarnation) {
			c.refute(now, s.Incarnation, s.From)
		} else if s.Incarnation < c.self.inc {
			// Already refuted: the accuser may not have heard.
			c.tellAccuser(now, s.From)
		}
		return
	}
	m := c.lookup(s.ID)
	if m == nil || !c.plausible(m, s.Incarnation) {
		return
	}
	if s.Incarnation < m.inc || m.state > StateSuspect {
		c.stats.Stale++
		return
	}
	c.suspect(now, m, s.Incarnation, s.From)
}

func (c *Core) handleDead(now time.Time, d *wire.Dead) {
	if d.ID == c.self.id {
		switch {
		case c.leaving:
		case d.Incarnation >= c.self.inc:
			if c.plausibleSelf(d.Incarnation) {
				c.refute(now, d.Incarnation, d.From)
			}
		case d.From != c.self.id:
			// A member declared us failed at an incarnation we have
			// since refuted: it may hold us dead while everyone else
			// believed the refutation. Tell it directly (only a known
			// member, one packet per message received).
			if m := c.lookup(d.From); m != nil && m.state <= StateSuspect {
				c.sendPacket(c.who(m).addr, c.selfAlive())
			}
		}
		return
	}
	m := c.lookup(d.ID)
	if m == nil || !c.plausible(m, d.Incarnation) {
		return
	}
	// A death at an incarnation the member has since refuted is stale,
	// whether or not the member flaps: its refutation proves it alive.
	// That includes a refutation noted here but not yet checked.
	if _, s := c.findSuspicion(c.who(m).id); s != nil && s.refutation != nil && s.refutation.Incarnation > d.Incarnation {
		c.stats.Stale++
		return
	}
	if d.Incarnation < m.inc || m.state > StateSuspect {
		c.stats.Stale++
		if m.state == StateAlive && d.From != d.ID && c.damped(now, c.who(m).id) && !c.leaving {
			// A flapping member another member could not reach: this
			// member applied a later refutation of it, which the other
			// one has not believed. Rather than keep it on that word,
			// it suspects the member at the incarnation held here, so
			// that the member must answer this member's checks too.
			c.suspect(now, m, m.inc, d.From)
		}
		return
	}
	left := d.From == d.ID
	if !left && m.state == StateAlive && !c.leaving {
		// A failure of a member this one has not even suspected: one
		// accuser's word (perhaps a member that can hardly receive, and
		// so never heard the refutation) is taken as a suspicion, which
		// the member hears and can refute, and which this member checks
		// for itself before declaring anything.
		c.suspect(now, m, d.Incarnation, d.From)
		return
	}
	if _, s := c.findSuspicion(c.who(m).id); !left && s != nil && !c.leaving && d.Incarnation == s.inc &&
		len(s.from) == 1 && s.from[0] == d.From {
		// A failure declared by the one member whose word is all this
		// member has against the suspect: perhaps the member that
		// cannot receive. It adds nothing; this member's own timeout
		// and last-chance checks decide.
		c.stats.Stale++
		return
	}
	m.inc = max(m.inc, d.Incarnation)
	c.dropSuspicion(c.who(m).id)
	c.queueUpdate(c.who(m).id, d)
	if left {
		c.setState(now, m, StateLeft)
		c.emit(now, EventLeft, m)
		return
	}
	c.stats.Failed++
	c.setState(now, m, StateDead)
	c.emitAccused(now, EventFailed, m, []string{d.From})
}
