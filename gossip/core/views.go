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
func (c *Core) LocalNode() NodeView { return c.view(&c.self) }

// Members returns every member this core knows, including itself and
// dead or left members not yet reaped, sorted by ID.
func (c *Core) Members() []NodeView {
	out := make([]NodeView, 0, len(c.members)+1)
	out = append(out, c.view(&c.self))
	for i := range c.members {
		out = append(out, c.view(&c.members[i]))
	}
	slices.SortFunc(out, func(a, b NodeView) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Member returns the view of the member with the given id.
func (c *Core) Member(id string) (NodeView, bool) {
	if id == c.self.id {
		return c.view(&c.self), true
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
	meta := map[string]string{}
	if m.meta != "" {
		if d, err := wire.DecodeMeta(m.meta); err == nil { // stored metadata was validated
			meta = d
		}
	}
	return NodeView{ID: m.id, Addr: m.addr, State: m.state, Incarnation: m.inc, Meta: meta}
}

func ptr[T any](v T) *T { return &v }

func (c *Core) emit(now time.Time, t EventType, m *member) {
	c.events = append(c.events, Event{Type: t, Time: now, Member: c.view(m), Origin: c.origin})
}

// emitAccused emits an event with its accusers (copied, at most
// MaxAccusers).
func (c *Core) emitAccused(now time.Time, t EventType, m *member, accusers []string) {
	c.emit(now, t, m)
	if len(accusers) > 0 {
		c.events[len(c.events)-1].Accusers = slices.Clone(accusers[:min(len(accusers), MaxAccusers)])
	}
}
