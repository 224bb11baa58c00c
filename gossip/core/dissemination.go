package core

import (
	"math"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

func (c *Core) selfAlive() *wire.Alive {
	return &wire.Alive{Incarnation: c.self.inc, ID: c.self.id, Addr: c.self.addr, Meta: c.self.meta}
}

// retransmitLimit is λ·ceil(log10(N+1)) transmissions per update, and at
// least 2λ: below ten members one λ is spent as soon as an update rides
// on a few probes and acks to members that already have it, and a member
// is left to learn it from the next full-state exchange.
func (c *Core) retransmitLimit() int {
	return c.cfg.RetransmitMult * max(2, int(math.Ceil(math.Log10(float64(c.NumLive()+1)))))
}

func (c *Core) queueUpdate(key string, m wire.Message) {
	c.queueFramed(key, wire.AppendMessage(nil, m))
}

// queueFramed queues a framed update under key; data is never modified
// and may be shared. A suspicion is queued as no news: it waits for a
// regular gossip round (see Config.DisableEarlyGossip), where a
// refutation that comes meanwhile replaces it.
func (c *Core) queueFramed(key string, data []byte) {
	if len(data) > 0 && wire.Type(data[0]) == wire.TypeSuspect {
		c.updates.pushQuiet(key, data)
	} else {
		c.updates.push(key, data)
	}
	for c.updates.len() > c.cfg.MaxUpdateQueue && c.updates.dropOldest() {
		c.stats.UpdatesDropped++
		c.noteDropped()
	}
}

// aliveBytes returns the framed announcement of m alive at m.inc. With a
// shared Names the bytes are cached with m's identity, so cores that share
// it share them; they must not be modified.
func (c *Core) aliveBytes(m *member) []byte {
	p := c.who(m)
	if !c.names.shared {
		return wire.AppendMessage(nil, &wire.Alive{Incarnation: m.inc, ID: p.id, Addr: p.addr, Meta: p.meta})
	}
	a := &c.names.alive[m.ref]
	if a.b == nil || a.inc != m.inc {
		a.b = wire.AppendMessage(nil, &wire.Alive{Incarnation: m.inc, ID: p.id, Addr: p.addr, Meta: p.meta})
		a.inc = m.inc
	}
	return a.b
}

// packet builds a packet from first (the messages this packet exists for)
// and fills the rest of the budget with queued broadcasts. to, when not
// empty, receives oversized broadcasts over a stream.
func (c *Core) packet(to string, piggyback bool, first ...wire.Message) []byte {
	b := wire.AppendHeader(make([]byte, 0, c.cfg.PacketSize))
	for _, m := range first {
		b = wire.AppendMessage(b, m)
	}
	if !piggyback {
		return b
	}
	free := c.cfg.PacketSize - len(b)
	if free <= 2 {
		return b
	}
	limit := c.retransmitLimit()
	maxItem := c.cfg.PacketSize - wire.HeaderSize
	var big func([]byte)
	if to != "" {
		big = func(d []byte) {
			c.emitOut(to, append(wire.AppendHeader(make([]byte, 0, len(d)+1)), d...), true)
		}
	}
	userRes := int(float64(free) * c.cfg.UserShare)
	var u1, u2 int
	c.pass++
	count := c.target == nil || c.target.state == StateAlive
	round := c.inRound
	b, u1 = c.updates.fill(b, c.pass, free-userRes, limit, maxItem, big, count, round)
	b, u2 = c.user.fill(b, c.pass, free-u1, limit, maxItem, big, count, round)
	b, _ = c.updates.fill(b, c.pass, free-u1-u2, limit, maxItem, big, count, round)
	return b
}

// sendTo sends messages to member m with piggybacked broadcasts. A packet
// to a member that is not alive (suspected or failed: it may well not
// receive it) carries broadcasts without counting against their
// retransmit limit, so that the few transmissions a small cluster allows
// each update are not spent on a crashed member.
func (c *Core) sendTo(m *member, first ...wire.Message) {
	c.target = m
	c.sendPacket(c.who(m).addr, first...)
	c.target = nil
}

func (c *Core) emitOut(to string, data []byte, reliable bool) {
	c.stats.PacketsOut++
	c.stats.BytesOut += uint64(len(data))
	if reliable {
		c.stats.StreamsOut++
	}
	c.out = append(c.out, Outbound{To: to, Data: data, Reliable: reliable})
}

// sendPacket sends messages with piggybacked broadcasts.
func (c *Core) sendPacket(to string, first ...wire.Message) {
	c.emitOut(to, c.packet("", true, first...), false)
}

func (c *Core) sendReliable(to string, m wire.Message) {
	c.emitOut(to, wire.Encode(m), true)
}

// news reports whether an update or user broadcast that has never been
// sent is queued, and early gossip rounds are on.
func (c *Core) news() bool {
	return !c.cfg.DisableEarlyGossip && (c.updates.news() || c.user.news())
}

// ownNews reports whether this member's own announcement (after SetMeta
// or a refutation) is queued and has never been sent, and early gossip
// rounds are on.
func (c *Core) ownNews() bool {
	return !c.cfg.DisableEarlyGossip && c.updates.unsentKey(c.self.id)
}

// earlyAt returns when news may be gossiped in an early round, given the
// last early round of its kind (last): one GossipInterval after it
// (regular rounds do not count, and an early round does not move the
// next regular one), and not before the time of the call being handled.
// A member's own announcement may use either kind: it rides in the
// round for news if one is allowed, and otherwise in a round of its own,
// so the news of others cannot hold it back.
func (c *Core) earlyAt(last time.Time) time.Time {
	t := last.Add(c.cfg.GossipInterval)
	if last.IsZero() || t.Before(c.now) {
		return c.now
	}
	return t
}

// gossip sends pending broadcasts to GossipFanout random live members and,
// in addition, to one member that failed less than GossipToTheDead ago
// (so that a member declared failed by mistake hears it and refutes). The
// dead member does not take a live member's place, and sends to it do not
// count against retransmit limits.
func (c *Core) gossip(now time.Time) {
	idx := c.randomMembers(c.cfg.GossipFanout, func(m *member) bool { return m.state <= StateSuspect })
	if len(c.failedMembers) > 0 {
		dead := int64(c.cfg.GossipToTheDead)
		idx = append(idx, c.randomMembers(1, func(m *member) bool {
			return m.state == StateDead && now.UnixNano()-m.since < dead
		})...)
	}
	for _, i := range idx {
		if c.updates.len() == 0 && c.user.len() == 0 {
			return
		}
		m := &c.members[i]
		c.target, c.inRound = m, true
		b := c.packet(c.who(m).addr, true)
		c.target, c.inRound = nil, false
		if len(b) > wire.HeaderSize {
			c.emitOut(c.who(m).addr, b, false)
		}
	}
}
