package core

import (
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// flap counts the refuted suspicions of one member and how well it
// answers reachability checks.
type flap struct {
	count int
	last  time.Time
	// reach is a moving average of the member's answers to this member's
	// reachability checks (1 answered, 0 not), starting at 1.
	reach float64
}

// Reachability scoring: each check moves reach by reachWeight towards its
// outcome; a flapping member's answer is accepted while reach, after the
// answer, is at least reachAccept. A member that answers most checks (one
// that loses packets like everyone on a lossy network) stays well above;
// one that can send but hardly receive answers few and falls below, and
// its rare answers no longer readmit it until it answers again regularly.
const (
	reachWeight      = 0.25
	reachAccept      = 0.5
	reachAcceptClean = 0.9
	cleanNetwork     = 0.9
	directWeight     = 0.1
)

// cleanNetwork reports whether nearly all of this member's own direct
// pings are answered in time.
func (c *Core) cleanNetwork() bool { return c.directAcks >= cleanNetwork }

// noteDirect records whether this member's own probe got a direct ack in
// time. The moving average, directAcks, tells a clean network (nearly
// every direct ping answered: a member that answers few checks is then at
// fault) from a lossy one (where everyone misses some, and answers are
// judged leniently).
func (c *Core) noteDirect(ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	c.directAcks += directWeight * (v - c.directAcks)
}

// recordFlap notes that member id refuted a suspicion.
func (c *Core) recordFlap(now time.Time, id string) {
	f := c.flaps[id]
	if f == nil {
		f = &flap{reach: 1}
		c.flaps[id] = f
	}
	if now.Sub(f.last) > c.cfg.FlapWindow {
		f.count, f.reach = 0, 1
	}
	f.count++
	f.last = now
}

// sampleReach records the outcome of a probe or check of member id in its
// reachability score, if it has flapped recently.
func (c *Core) sampleReach(id string, answered bool) {
	if f := c.flaps[id]; f != nil && f.count > 0 {
		v := 0.0
		if answered {
			v = 1
		}
		f.reach += reachWeight * (v - f.reach)
	}
}

// noteCheck records whether member id answered a reachability check and
// reports whether an answer is to be believed: the member has answered
// enough of this member's recent checks (see reachAccept).
func (c *Core) noteCheck(id string, answered bool) bool {
	f := c.flaps[id]
	if f == nil {
		return answered
	}
	c.sampleReach(id, answered)
	accept := reachAccept
	if c.cleanNetwork() {
		accept = reachAcceptClean
	}
	if answered && f.reach < accept {
		c.stats.Damped++
		return false
	}
	return answered
}

// damped reports whether member id has refuted FlapThreshold suspicions
// within FlapWindow: it flaps (it can send, as its refutations show, but
// it may hardly receive, on and off). Its refutations are then taken as
// proof that it is alive but not that it can be reached: each must be
// backed by an answer to this member's own reachability check.
func (c *Core) damped(now time.Time, id string) bool {
	if c.cfg.FlapThreshold < 0 {
		return false
	}
	f := c.flaps[id]
	return f != nil && f.count >= c.cfg.FlapThreshold && now.Sub(f.last) <= c.cfg.FlapWindow
}

// checkReachable starts a reachability check of suspect m: a ping, a
// ping-req through IndirectChecks members and, from the second check of a
// suspicion on (unless disabled or backed off, see mayDial), a ping over
// a stream, all with one sequence number. Any ack ends the suspicion (see
// handleAck). It waits wait for an answer (stretched by the local health
// multiplier).
func (c *Core) checkReachable(now time.Time, s *suspicion, m *member, wait time.Duration) {
	s.lastSeq = c.nextSeq()
	s.checks++
	s.deadline = now.Add(c.scaled(wait))
	c.sendReachability(now, m, s.lastSeq, s.checks > 1)
}

// sendReachability sends the packets of a reachability check and, if
// stream, the stream ping. The first check of a suspicion goes without
// one: every member checks every suspicion it hears of, and the packets
// alone are answered most of the time even under heavy loss, so a stream
// ping in each first check would dial the suspect from nearly every
// member (under 30% loss and 30% failing streams it was 85% of all
// dials).
func (c *Core) sendReachability(now time.Time, m *member, seq uint32, stream bool) {
	c.sendTo(m, &wire.Ping{Seq: seq, Source: c.self.id, Target: c.who(m).id})
	for _, i := range c.randomMembers(c.cfg.IndirectChecks, func(o *member) bool {
		return o.state == StateAlive && c.who(o).id != c.who(m).id
	}) {
		c.sendPacket(c.who(&c.members[i]).addr, &wire.PingReq{Seq: seq, Target: c.who(m).id, TargetAddr: c.who(m).addr})
	}
	if stream && c.mayDial(now, c.who(m).id) {
		c.sendReliable(c.who(m).addr, &wire.Ping{Seq: seq, Source: c.self.id, Target: c.who(m).id, Reliable: true})
	}
}

// checkRejoin answers the announcement a of a flapping member that was
// declared failed: it is readmitted once it answers a reachability check
// (see readmit), instead of on its word.
func (c *Core) checkRejoin(now time.Time, m *member, a *wire.Alive) {
	for i := range c.confirms {
		if c.confirms[i].target == c.who(m).id && c.confirms[i].rejoin != nil {
			if a.Incarnation > c.confirms[i].rejoin.Incarnation {
				c.confirms[i].rejoin = a
			}
			return // a check is already running
		}
	}
	c.startRejoinCheck(now, m, a, 1)
}

// maxRejoinChecks bounds the checks in a row one announcement of a failed
// flapping member may cause while its answers are not yet believed.
const maxRejoinChecks = 8

func (c *Core) startRejoinCheck(now time.Time, m *member, a *wire.Alive, tries int) {
	if len(c.confirms) >= maxPending {
		return
	}
	seq := c.nextSeq()
	c.confirms = append(c.confirms, confirm{target: c.who(m).id, inc: a.Incarnation, seq: seq,
		deadline: now.Add(c.scaled(c.cfg.ProbeInterval)), rejoin: a, tries: tries})
	c.sendReachability(now, m, seq, tries > 1)
}
