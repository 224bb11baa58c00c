package core

import (
	"slices"
	"strings"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// Ready returns and clears the messages and events accumulated so far. The
// caller owns the returned slices.
func (c *Core) Ready() Ready {
	r := Ready{Messages: c.out, Events: c.events}
	c.out, c.events = nil, nil
	return r
}

// HasReady reports whether Ready would return anything.
func (c *Core) HasReady() bool { return len(c.out) > 0 || len(c.events) > 0 }

// Stats returns a snapshot of the core's counters.
func (c *Core) Stats() Stats {
	s := c.stats
	s.Awareness = c.awareness
	s.Members = len(c.members)
	s.LiveMembers = c.live
	s.QueuedUpdates = c.updates.len()
	s.QueuedUser = c.user.len()
	return s
}

// LocalNode returns the local member's view.
func (c *Core) LocalNode() NodeView { return c.selfView() }

// Members returns every member this core knows, including itself and
// dead or left members not yet reaped, sorted by ID.
func (c *Core) Members() []NodeView {
	out := make([]NodeView, 0, len(c.members)+1)
	out = append(out, c.selfView())
	for i := range c.members {
		out = append(out, c.view(&c.members[i]))
	}
	slices.SortFunc(out, func(a, b NodeView) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Member returns the view of the member with the given id.
func (c *Core) Member(id string) (NodeView, bool) {
	if id == c.self.id {
		return c.selfView(), true
	}
	i, ok := c.pos(id)
	if !ok {
		return NodeView{}, false
	}
	return c.view(&c.members[i]), true
}

// NumLive returns the number of alive or suspect members, self included
// (unless it has left).
func (c *Core) NumLive() int {
	if c.leaving {
		return c.live
	}
	return c.live + 1
}

// Counts returns the number of other members this core holds as alive and
// as suspect.
func (c *Core) Counts() (alive, suspect int) { return c.live - c.suspects, c.suspects }

// StateOf returns the state of member id as seen here, without building a
// view. ok is false for unknown members.
func (c *Core) StateOf(id string) (s State, ok bool) {
	if id == c.self.id {
		return c.self.state, true
	}
	i, ok := c.pos(id)
	if !ok {
		return 0, false
	}
	return c.members[i].state, true
}

func (c *Core) view(m *member) NodeView {
	p := c.who(m)
	return makeView(p.id, p.addr, p.meta, m.state, m.inc)
}

func (c *Core) selfView() NodeView {
	return makeView(c.self.id, c.self.addr, c.self.meta, c.self.state, c.self.inc)
}

// makeView builds a view; meta is in wire.EncodeMeta form.
func makeView(id, addr, meta string, s State, inc uint64) NodeView {
	m := map[string]string{}
	if meta != "" {
		if d, err := wire.DecodeMeta(meta); err == nil { // stored metadata was validated
			m = d
		}
	}
	return NodeView{ID: id, Addr: addr, State: s, Incarnation: inc, Meta: m}
}

func (c *Core) emit(now time.Time, t EventType, m *member) {
	c.emitView(now, t, c.view(m), nil)
}

// emitAccused emits an event about m with its accusers (see emitView).
func (c *Core) emitAccused(now time.Time, t EventType, m *member, accusers []string) {
	c.emitView(now, t, c.view(m), accusers)
}

// emitView emits an event about v with its accusers (copied, at most
// MaxAccusers).
func (c *Core) emitView(now time.Time, t EventType, v NodeView, accusers []string) {
	e := Event{Type: t, Time: now, Member: v, Origin: c.origin}
	if len(accusers) > 0 {
		e.Accusers = slices.Clone(accusers[:min(len(accusers), MaxAccusers)])
	}
	c.events = append(c.events, e)
}
