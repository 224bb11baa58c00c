package core

import (
	"slices"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// probeOrder is a walk over a random permutation of the member table: a
// random start and a step coprime with the table's length n; pos counts the
// targets taken in this round.
type probeOrder struct {
	start, step, pos, n int
}

type probe struct {
	target    string
	addr      string
	seq       uint32
	timeoutAt time.Time
	endAt     time.Time
	indirect  bool
	// streamAt is when the stream ping is due (zero once sent, or
	// before the indirect probes).
	streamAt      time.Time
	expectedNacks int
	nacks         int
}

type relay struct {
	seq       uint32 // our ping to the target
	origSeq   uint32 // the requester's sequence number
	requester string
	deadline  time.Time
}

type confirm struct {
	target   string
	inc      uint64
	seq      uint32
	deadline time.Time
	// rejoin, if set, is the announcement of a failed flapping member,
	// applied when the member answers this check; tries counts the checks
	// made in a row for it.
	rejoin *wire.Alive
	tries  int
}

func (c *Core) scaled(d time.Duration) time.Duration {
	return d * time.Duration(c.awareness+1)
}

func (c *Core) nextSeq() uint32 {
	c.seq++
	return c.seq
}

// nextTarget walks a random permutation of the member table (a random
// start and a step coprime with its length), one round at a time.
func (c *Core) nextTarget() *member {
	for tries := 0; tries <= len(c.members)+1; tries++ {
		if c.order.pos >= c.order.n {
			n := len(c.members)
			if n == 0 {
				return nil
			}
			c.order.n, c.order.pos = n, 0
			c.order.start = c.rng.IntN(n)
			c.order.step = 1
			if n > 2 {
				c.order.step = 1 + c.rng.IntN(n-1)
				for gcd(c.order.step, n) != 1 {
					c.order.step = c.order.step%(n-1) + 1
				}
			}
		}
		i := (c.order.start + c.order.pos*c.order.step) % c.order.n
		c.order.pos++
		if i < len(c.members) && c.members[i].state <= StateSuspect {
			return &c.members[i]
		}
	}
	return nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (c *Core) startProbe(now time.Time) {
	if c.probe != nil { // previous probe still running (cannot normally happen)
		c.finishProbe(now)
	}
	c.nextProbe = now.Add(c.scaled(c.cfg.ProbeInterval))
	t := c.nextTarget()
	if t == nil {
		return
	}
	p := &probe{
		target:    c.who(t).id,
		addr:      c.who(t).addr,
		seq:       c.nextSeq(),
		timeoutAt: now.Add(c.scaled(c.cfg.ProbeTimeout)),
		endAt:     c.nextProbe,
	}
	c.probe = p
	c.stats.Probes++
	ping := &wire.Ping{Seq: p.seq, Source: c.self.id, Target: c.who(t).id}
	if t.state == StateSuspect {
		// Buddy system: tell the suspect first, so it can refute.
		c.sendTo(t, ping, c.record(t))
	} else {
		c.sendTo(t, ping)
	}
}

func (c *Core) expireProbe(now time.Time) {
	p := c.probe
	if p == nil {
		return
	}
	if !p.indirect && !now.Before(p.timeoutAt) {
		p.indirect = true
		c.noteDirect(false)
		target := c.lookup(p.target)
		if target == nil || target.state > StateSuspect {
			c.probe = nil
			return
		}
		idx := c.randomMembers(c.cfg.IndirectChecks, func(m *member) bool {
			return m.state == StateAlive && c.who(m).id != p.target
		})
		for _, i := range idx {
			c.stats.IndirectProbes++
			c.sendPacket(c.who(&c.members[i]).addr, &wire.PingReq{Seq: p.seq, Target: p.target, TargetAddr: p.addr})
		}
		p.expectedNacks = len(idx)
		// The stream ping follows if the indirect probes bring no ack
		// within a third of the time left.
		p.streamAt = now.Add(p.endAt.Sub(now) / 3)
	}
	if p.indirect && !p.streamAt.IsZero() && !now.Before(p.streamAt) {
		p.streamAt = time.Time{}
		if c.mayDial(now, p.target) {
			c.sendReliable(p.addr, &wire.Ping{Seq: p.seq, Source: c.self.id, Target: p.target, Reliable: true})
		}
	}
	if !now.Before(p.endAt) {
		c.finishProbe(now)
	}
}

// finishProbe ends a probe that got no ack.
func (c *Core) finishProbe(now time.Time) {
	p := c.probe
	c.probe = nil
	c.stats.ProbesFailed++
	if c.late(now) {
		// The ack may be waiting unread in this member's own queue; the
		// late tick already raised the local health multiplier.
		c.stats.LateHolds++
		return
	}
	c.sampleReach(p.target, false)
	c.dialMissed(now, p.target)
	delta := 1
	if p.expectedNacks > 0 {
		delta = max(0, p.expectedNacks-p.nacks)
	}
	c.adjustAwareness(delta)
	m := c.lookup(p.target)
	if m == nil || m.state > StateSuspect {
		return
	}
	c.suspect(now, m, m.inc, c.self.id)
	if _, s := c.findSuspicion(c.who(m).id); s != nil && s.inc == m.inc {
		s.probed = true
	}
}

func (c *Core) adjustAwareness(d int) {
	c.awareness = min(max(c.awareness+d, 0), c.cfg.AwarenessMaxMultiplier-1)
}

func (c *Core) handlePing(now time.Time, from string, m *wire.Ping) {
	if m.Target != "" && m.Target != c.self.id {
		c.stats.Misdirected++
		return
	}
	ack := &wire.Ack{Seq: m.Seq, Reliable: m.Reliable}
	if m.Reliable {
		s := c.lookup(m.Source)
		switch {
		case c.stream:
			// Over a stream the sender has shown it can be reached.
			to := from
			if s != nil {
				to = c.who(s).addr
			}
			c.sendReliable(to, ack)
		case s != nil:
			// A reliable ping in a packet (its source can be forged): a
			// packet to the address the member is known by, never a dial.
			c.sendPacket(c.who(s).addr, &wire.Ack{Seq: m.Seq})
		default:
			c.stats.ReliableRefused++
		}
		return
	}
	// If we think the sender is suspect or dead, tell it first.
	if s := c.lookup(m.Source); s != nil && s.state != StateAlive && s.state != StateLeft {
		c.sendPacket(from, ack, c.record(s))
		return
	}
	c.sendPacket(from, ack)
}

func (c *Core) handleAck(now time.Time, m *wire.Ack) {
	if p := c.probe; p != nil && p.seq == m.Seq {
		c.probe = nil
		if m.Reliable {
			c.dialAnswered(p.target)
		}
		c.adjustAwareness(-1)
		if !p.indirect {
			c.noteDirect(true)
		}
		c.sampleReach(p.target, true)
		return
	}
	for i := range c.relays {
		if r := c.relays[i]; r.seq == m.Seq {
			c.relays = slices.Delete(c.relays, i, i+1)
			c.sendPacket(r.requester, &wire.Ack{Seq: r.origSeq})
			return
		}
	}
	for i := range c.confirms {
		if p := c.confirms[i]; p.seq == m.Seq {
			c.confirms = slices.Delete(c.confirms, i, i+1)
			if m.Reliable {
				c.dialAnswered(p.target)
			}
			if p.rejoin != nil {
				if c.noteCheck(p.target, true) {
					c.readmit(now, p.rejoin)
				} else if t := c.lookup(p.target); t != nil && p.tries < maxRejoinChecks && !c.leaving {
					// Answered but not yet believed: check again.
					c.startRejoinCheck(now, t, p.rejoin, p.tries+1)
				}
			}
			return
		}
	}
	if c.reconnectAnswered(m.Seq) {
		return
	}
	for _, s := range c.suspicions {
		if s.lastSeq != 0 && s.lastSeq == m.Seq && m.Reliable {
			c.dialAnswered(s.id)
		}
		if s.lastSeq != 0 && s.lastSeq == m.Seq && s.refutation != nil {
			// A flapping member that refuted answered: it can receive.
			// Its refutation counts once the answer is believed; on a
			// clean network that takes two answers to one suspicion.
			s.lastSeq = 0
			s.answers++
			if c.noteCheck(s.id, true) && (s.answers >= 2 || !c.cleanNetwork()) {
				c.readmit(now, s.refutation)
			} else if t := c.lookup(s.id); t != nil && s.checks < c.refutationChecks() && !c.leaving {
				c.checkReachable(now, s, t, c.cfg.ProbeInterval)
			}
			return
		}
		if s.lastSeq != 0 && s.lastSeq == m.Seq {
			c.sampleReach(s.id, true)
			// The suspect answered: it is reachable from here. Ask for its
			// state (which carries its refutation) and wait a while longer.
			s.lastSeq = 0
			s.deadline = now.Add(s.min)
			if t := c.lookup(s.id); t != nil {
				c.sendPushPull(c.who(t).addr, false, false)
			}
			return
		}
	}
	c.stats.UnknownAcks++
}

// maxPending bounds relays and confirmation probes held at once.
const maxPending = 64

// maxLastChance bounds the last-chance checks one suspicion may cause. A
// check waits ProbeTimeout, too short for a stream ping that lost a
// segment, so under heavy loss several in a row go unanswered for a
// healthy member; six keep that rare.
const maxLastChance = 6

// maxRefutationChecks bounds the reachability checks one suspicion of a
// flapping member that refuted may cause. Each check goes unanswered with
// some probability even for a healthy member under loss (about 0.15 at
// 30% packet loss: the ping, three ping-reqs and a stream ping all lost or
// late), and every member checks every refutation, so three checks in a
// row failed somewhere in a 64-member cluster several times a minute.
const maxRefutationChecks = 6

func (c *Core) handlePingReq(now time.Time, from string, m *wire.PingReq) {
	if c.leaving || m.Target == c.self.id || len(c.relays) >= maxPending {
		return
	}
	r := relay{seq: c.nextSeq(), origSeq: m.Seq, requester: from,
		deadline: now.Add(c.scaled(c.cfg.ProbeTimeout) * 4 / 5)}
	c.relays = append(c.relays, r)
	c.sendPacket(m.TargetAddr, &wire.Ping{Seq: r.seq, Source: c.self.id, Target: m.Target})
}

func (c *Core) expireRelays(now time.Time) {
	c.relays = slices.DeleteFunc(c.relays, func(r relay) bool {
		if now.Before(r.deadline) {
			return false
		}
		c.sendPacket(r.requester, &wire.Nack{Seq: r.origSeq})
		return true
	})
}

func (c *Core) expireConfirms(now time.Time) {
	c.confirms = slices.DeleteFunc(c.confirms, func(p confirm) bool {
		if now.Before(p.deadline) {
			return false
		}
		if p.rejoin != nil {
			c.sampleReach(p.target, false) // a failed flapping member stays out
			c.dialMissed(now, p.target)
			c.stats.Damped++
			return true
		}
		if m := c.lookup(p.target); m != nil && m.state == StateSuspect && m.inc == p.inc {
			if c.late(now) {
				c.stats.LateHolds++
				return true
			}
			c.suspect(now, m, m.inc, c.self.id)
		}
		return true
	})
}

// refutationChecks is how many reachability checks one suspicion of a
// flapping member that refuted may cause here: maxRefutationChecks on a
// clean network, twice that on a lossy one. Under 30% loss every member
// counts as flapping, every member checks every refutation (tens of
// thousands of check runs a minute in 64 members), and a run of five
// unanswered checks in six came up several times a run for healthy
// members; the flip-flopping member of TestFlipFlop, on a clean network,
// gets the six checks as before.
func (c *Core) refutationChecks() int {
	if c.cleanNetwork() {
		return maxRefutationChecks
	}
	return 2 * maxRefutationChecks
}
