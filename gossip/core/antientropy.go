package core

import (
	"math"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

func (c *Core) sendPushPull(to string, join, reply bool) {
	pp := &wire.PushPull{Join: join, Reply: reply, From: c.self.id}
	pp.Members = make([]wire.MemberState, 0, len(c.members)+1)
	pp.Members = append(pp.Members, c.selfState())
	for i := range c.members {
		pp.Members = append(pp.Members, c.state(&c.members[i]))
	}
	c.stats.PushPulls++
	c.sendReliable(to, pp)
}

// selfState is the local member's entry in a full-state table.
func (c *Core) selfState() wire.MemberState {
	return wire.MemberState{ID: c.self.id, Addr: c.self.addr, State: c.self.state, Incarnation: c.self.inc, Meta: c.self.meta}
}

func (c *Core) handlePushPull(now time.Time, p *wire.PushPull) {
	// The first table a member receives (the answer to its join) is what
	// the cluster already knows: it is applied but not gossiped again,
	// which would cost every joiner O(N) queue entries. Later exchanges
	// repair what gossip missed, so what they teach is passed on.
	first := !c.joined
	for i := range p.Members {
		s := &p.Members[i]
		switch s.State {
		case StateAlive:
			c.handleAlive(now, &wire.Alive{Incarnation: s.Incarnation, ID: s.ID, Addr: s.Addr, Meta: s.Meta}, !first || s.ID == p.From)
		case StateSuspect, StateDead:
			// A remote death is taken as a suspicion: this member checks
			// for itself before declaring anyone failed.
			if s.ID == c.self.id || c.lookup(s.ID) != nil {
				c.handleSuspect(now, &wire.Suspect{Incarnation: s.Incarnation, ID: s.ID, From: p.From})
			}
		case StateLeft:
			c.handleDead(now, &wire.Dead{Incarnation: s.Incarnation, ID: s.ID, From: s.ID})
		}
	}
	if p.From != "" && p.From != c.self.id {
		c.joined = true
	}
	if !p.Reply && !c.leaving {
		if m := c.lookup(p.From); m != nil {
			c.sendPushPull(c.who(m).addr, false, true)
		}
	}
}

func (c *Core) pushPullInterval() time.Duration {
	base := c.cfg.PushPullInterval
	n := c.NumLive()
	if n <= 32 {
		return base
	}
	mult := math.Ceil(math.Log2(float64(n))-math.Log2(32)) + 1
	return time.Duration(mult * float64(base))
}

func (c *Core) pushPullRandom(now time.Time) {
	idx := c.randomMembers(1, func(m *member) bool { return m.state == StateAlive })
	if len(idx) == 1 {
		c.sendPushPull(c.who(&c.members[idx[0]]).addr, false, false)
	}
}

// reconnect tries one random failed member again, so that members cut
// apart by a partition find each other when it heals, and a member that
// missed the readmission of a recovered one (it holds it failed while the
// others took it back) learns of it.
//
// The try is a ping, answered by an exchange of full state (see
// reconnectAnswered); every reconnectDirect-th try exchanges full state at
// once, over a stream, for members that packets cannot reach. Dialling
// every failed member's address at every try cost a third of a member's
// CPU in a quiet cluster after one crash (bench, LAN defaults, N = 64: the
// dials were 60 of 190 ms of profile samples in the steady window);
// a ping to a crashed member costs one packet. Readmission leans on every
// member trying: when each tried with probability failed/live instead, a
// member recovering from 80% loss among 64 was seen whole again only after
// 17-28 s, as the members that missed the readmission gossip waited for a
// try of their own (gossip/sim TestSickMemberReadmitted).
func (c *Core) reconnect(now time.Time) {
	c.nextReconnect = now.Add(c.cfg.ReconnectInterval/2 + c.jitter(c.cfg.ReconnectInterval))
	if len(c.failedMembers) == 0 {
		return
	}
	// Pick among the failed members so the cost does not grow with the table, and
	// leave the newly failed alone for an interval: otherwise every member
	// would send its whole table to each new failure at once.
	for tries := 0; tries < 8; tries++ {
		f := c.failedMembers[c.rng.IntN(len(c.failedMembers))]
		if now.Sub(f.since) < c.cfg.ReconnectInterval {
			continue
		}
		m := c.lookup(f.id)
		if m == nil || m.state != StateDead {
			continue
		}
		c.reconnects++
		if c.reconnects%reconnectDirect == 0 {
			c.sendPushPull(c.who(m).addr, false, false)
			return
		}
		c.reconnectSeq, c.reconnectID = c.nextSeq(), f.id
		c.sendTo(m, &wire.Ping{Seq: c.reconnectSeq, Source: c.self.id, Target: f.id})
		return
	}
}

// reconnectDirect makes every reconnectDirect-th reconnect try an
// exchange of full state over a stream instead of a ping.
const reconnectDirect = 4

// reconnectAnswered handles an ack and reports whether it answered the
// last reconnect ping: the failed member can be reached, so full state is
// exchanged with it (which brings its refutation, and tells it how it is
// seen here).
func (c *Core) reconnectAnswered(seq uint32) bool {
	if c.reconnectSeq == 0 || seq != c.reconnectSeq {
		return false
	}
	c.reconnectSeq = 0
	if m := c.lookup(c.reconnectID); m != nil && m.state == StateDead && !c.leaving {
		c.stats.ReconnectAcks++
		c.sendPushPull(c.who(m).addr, false, false)
	}
	return true
}
