package core

import (
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// refute answers a suspicion or death of the local member seen at inc.
func (c *Core) refute(inc uint64) {
	if c.leaving {
		return
	}
	c.stats.Refutations++
	c.self.inc = max(c.self.inc, inc) + 1
	c.adjustAwareness(1)
	c.queueUpdate(c.self.id, c.selfAlive())
}

// handleAlive applies an announcement and, if regossip and it is news,
// queues it for gossip.
func (c *Core) handleAlive(now time.Time, a *wire.Alive, regossip bool) {
	if a.ID == c.self.id {
		switch {
		case a.Addr != c.self.addr && a.Incarnation >= c.self.inc:
			c.stats.Conflicts++
			other := member{id: a.ID, addr: a.Addr, meta: a.Meta, inc: a.Incarnation, state: StateAlive}
			c.events = append(c.events, Event{Type: EventConflict, Time: now, Member: c.view(&c.self), Other: ptr(c.view(&other))})
		case a.Incarnation > c.self.inc || (a.Incarnation == c.self.inc && a.Meta != c.self.meta):
			// An announcement of ours from a previous life.
			c.refute(a.Incarnation)
		}
		return
	}
	c.joined = true
	m := c.lookup(a.ID)
	if m == nil {
		m = c.add(member{id: a.ID, addr: a.Addr, meta: a.Meta, inc: a.Incarnation, state: StateDead})
		c.setState(now, m, StateAlive)
		if regossip {
			c.queueUpdate(a.ID, a)
		}
		c.emit(now, EventJoin, m)
		return
	}
	if a.Incarnation < m.inc {
		c.stats.Stale++
		return
	}
	if a.Incarnation == m.inc {
		if m.state == StateAlive && a.Addr != m.addr {
			c.stats.Conflicts++
			other := member{id: a.ID, addr: a.Addr, meta: a.Meta, inc: a.Incarnation, state: StateAlive}
			c.events = append(c.events, Event{Type: EventConflict, Time: now, Member: c.view(m), Other: ptr(c.view(&other))})
			return
		}
		if m.state != StateAlive || a.Meta == m.meta {
			return // duplicate, or not news: refutation needs a higher incarnation
		}
	}
	prev := m.state
	if prev != StateAlive && c.damped(now, m.id) {
		if prev == StateSuspect {
			// A flapping member's refutation is noted but does not end
			// the suspicion, which runs to its timeout.
			m.inc, m.addr, m.meta = a.Incarnation, a.Addr, a.Meta
			if _, s := c.findSuspicion(m.id); s != nil {
				s.inc = a.Incarnation
			}
		}
		// A flapping member that was declared failed stays out until
		// FlapWindow has passed since its last flap.
		c.stats.Damped++
		return
	}
	changed := a.Addr != m.addr || a.Meta != m.meta
	m.inc, m.addr, m.meta = a.Incarnation, a.Addr, a.Meta
	if prev != StateAlive {
		c.setState(now, m, StateAlive)
	}
	c.dropSuspicion(m.id)
	if regossip {
		c.queueUpdate(a.ID, a)
	}
	switch {
	case prev == StateSuspect:
		c.recordFlap(now, m.id)
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

func (c *Core) handleSuspect(now time.Time, s *wire.Suspect) {
	if s.ID == c.self.id {
		if s.Incarnation >= c.self.inc {
			c.refute(s.Incarnation)
		}
		return
	}
	m := c.lookup(s.ID)
	if m == nil {
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
		if !c.leaving && d.Incarnation >= c.self.inc {
			c.refute(d.Incarnation)
		}
		return
	}
	m := c.lookup(d.ID)
	if m == nil {
		return
	}
	// A flapping member's refutations are not believed, so a failure
	// declared at an incarnation it has since refuted still stands.
	if (d.Incarnation < m.inc && !(d.From != d.ID && c.damped(now, m.id))) || m.state > StateSuspect {
		c.stats.Stale++
		return
	}
	left := d.From == d.ID
	m.inc = max(m.inc, d.Incarnation)
	c.dropSuspicion(m.id)
	c.queueUpdate(m.id, d)
	if left {
		c.setState(now, m, StateLeft)
		c.emit(now, EventLeft, m)
		return
	}
	c.stats.Failed++
	c.setState(now, m, StateDead)
	c.emit(now, EventFailed, m)
}
