package core

import (
	"slices"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// member is the compact record kept per known member (24 bytes: N cores
// hold N records each in the simulator). It holds no pointer, so that the
// garbage collector does not scan member tables: its id, addr and meta are
// read through its identity (Core.who), which is replaced, never changed,
// when they change (Core.setIdent).
type member struct {
	ref   int32 // identity, in Core.names
	state State
	inc   uint64
	since int64 // last state change, Unix nanoseconds
}

// local is the local member: its identity and state. It is not in the
// table and not numbered.
type local struct {
	ident
	inc   uint64
	since int64
	state State
}

// departure notes when a member left or failed, so that its record can be
// reaped TombstoneTimeout or ReconnectTimeout later.
type departure struct {
	id    string
	since time.Time
}

// pos returns the table position of member id.
func (c *Core) pos(id string) (int, bool) {
	k, ok := c.names.num(id)
	if !ok || int(k) >= len(c.index) || c.index[k] == 0 {
		return 0, false
	}
	return int(c.index[k] - 1), true
}

func (c *Core) lookup(id string) *member {
	if i, ok := c.pos(id); ok {
		return &c.members[i]
	}
	return nil
}

// setPos records that the member with number k is at position i.
func (c *Core) setPos(k int32, i int) {
	if int(k) >= len(c.index) {
		c.index = append(c.index, make([]int32, int(k)+1-len(c.index))...)
	}
	c.index[k] = int32(i + 1)
}

// who returns m's identity. The pointer is valid until the next identity
// is made (add, setIdent).
func (c *Core) who(m *member) *ident { return c.names.get(m.ref) }

// setIdent gives m the identity (its id, addr, meta).
func (c *Core) setIdent(m *member, addr, meta string) {
	if p := c.who(m); addr != p.addr || meta != p.meta {
		m.ref = c.names.make(p.id, addr, meta)
	}
}

// add inserts a record for a member not in the table.
func (c *Core) add(id, addr, meta string, inc uint64, state State) *member {
	m := member{ref: c.names.make(id, addr, meta), inc: inc, state: state}
	// Insert at a random position so that probing order stays random.
	c.members = append(c.members, m)
	i := len(c.members) - 1
	if i > 0 {
		j := c.rng.IntN(i + 1)
		c.members[i], c.members[j] = c.members[j], c.members[i]
		c.setPos(c.who(&c.members[i]).num, i)
		i = j
	}
	c.setPos(c.who(&m).num, i)
	return &c.members[i]
}

func (c *Core) removeAt(i int) {
	p := c.who(&c.members[i])
	id, k := p.id, p.num
	last := len(c.members) - 1
	if i != last {
		c.members[i] = c.members[last]
		c.setPos(c.who(&c.members[i]).num, i)
	}
	c.members[last] = member{}
	c.members = c.members[:last]
	c.index[k] = 0
	c.names.release(k)
	delete(c.seen, id)
	delete(c.flaps, id)
}

func (c *Core) setState(now time.Time, m *member, s State) {
	wasLive := m.state <= StateSuspect
	isLive := s <= StateSuspect
	if m.state == StateSuspect {
		c.suspects--
	}
	if s == StateSuspect {
		c.suspects++
	}
	m.state = s
	m.since = now.UnixNano()
	switch {
	case wasLive && !isLive:
		c.live--
		if s == StateLeft {
			c.leftMembers = append(c.leftMembers, departure{id: c.who(m).id, since: now})
		} else {
			c.failedMembers = append(c.failedMembers, departure{id: c.who(m).id, since: now})
		}
	case !wasLive && isLive:
		c.live++
	}
}

// randomMembers picks up to n distinct member indices satisfying ok.
func (c *Core) randomMembers(n int, ok func(*member) bool) []int {
	if n <= 0 || len(c.members) == 0 {
		return nil
	}
	picked := make([]int, 0, n)
	has := func(i int) bool { return slices.Contains(picked, i) }
	for tries := 0; tries < 4*n && len(picked) < n; tries++ {
		i := c.rng.IntN(len(c.members))
		if !has(i) && ok(&c.members[i]) {
			picked = append(picked, i)
		}
	}
	if len(picked) < n && len(c.members) <= 64*n {
		// Small or sparse: fall back to a scan from a random offset.
		off := c.rng.IntN(len(c.members))
		for k := 0; k < len(c.members) && len(picked) < n; k++ {
			i := (off + k) % len(c.members)
			if !has(i) && ok(&c.members[i]) {
				picked = append(picked, i)
			}
		}
	}
	return picked
}

func (c *Core) state(m *member) wire.MemberState {
	p := c.who(m)
	return wire.MemberState{ID: p.id, Addr: p.addr, State: m.state, Incarnation: m.inc, Meta: p.meta}
}

// record returns the message that announces m's current state.
func (c *Core) record(m *member) wire.Message {
	p := c.who(m)
	switch m.state {
	case StateAlive:
		return &wire.Alive{Incarnation: m.inc, ID: p.id, Addr: p.addr, Meta: p.meta}
	case StateSuspect:
		return &wire.Suspect{Incarnation: m.inc, ID: p.id, From: c.self.id}
	case StateLeft:
		return &wire.Dead{Incarnation: m.inc, ID: p.id, From: p.id}
	default:
		return &wire.Dead{Incarnation: m.inc, ID: p.id, From: c.self.id}
	}
}

func (c *Core) reap(now time.Time) {
	c.leftMembers = c.reapList(now, c.leftMembers, c.cfg.TombstoneTimeout)
	c.failedMembers = c.reapList(now, c.failedMembers, c.cfg.ReconnectTimeout)
}

func (c *Core) reapList(now time.Time, l []departure, timeout time.Duration) []departure {
	for len(l) > 0 {
		t := l[0]
		if now.Sub(t.since) < timeout {
			break
		}
		l = l[1:]
		if i, ok := c.pos(t.id); ok {
			m := &c.members[i]
			if m.state > StateSuspect && m.since == t.since.UnixNano() {
				c.removeAt(i)
			}
		}
	}
	if len(l) == 0 {
		return nil
	}
	return l
}
