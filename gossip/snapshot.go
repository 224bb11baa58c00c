package gossip

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
)

// snapshot is what the read API serves: published by the protocol
// goroutine after every membership change, API call and gossip interval,
// and never modified once published. Snapshots may share their members
// slice: it is never written after publication either.
type snapshot struct {
	members []NodeView
	local   NodeView
	stats   core.Stats
	builtAt time.Time // when members was last built from the core
}

// publishSnapshot publishes the core's current state. The local view and
// the counters are read every time; the member list (a sorted copy of
// every record, the costly part at scale) is rebuilt only when the
// membership changed (drain saw events, or the number of records
// changed), or when Members was called since the last rebuild and that is
// a gossip interval old: the core reports one change by no event and no
// count, a member's incarnation rising while its state stays the same,
// and only a reader can tell whether it matters. Otherwise the previous
// list is kept, with this member's own entry replaced when its view
// changed.
//
// n.changed is set by drain; it and this method run only on the protocol
// goroutine (or in Start, before it exists).
func (n *Node) publishSnapshot(c *core.Core) {
	changed := n.changed
	n.changed = false
	now := n.now()
	s := &snapshot{local: c.LocalNode(), stats: c.Stats()}
	prev := n.snap.Load()
	stale := prev != nil && now.Sub(prev.builtAt) >= n.cfg.GossipInterval && n.membersRead.Load()
	switch {
	case prev == nil || changed || s.stats.Members != prev.stats.Members || stale:
		n.membersRead.Store(false)
		s.members, s.builtAt = trimMeta(c.Members()), now
	case sameView(s.local, prev.local):
		s.members, s.builtAt = prev.members, prev.builtAt
	default:
		s.members, s.builtAt = slices.Clone(prev.members), prev.builtAt
		i, ok := slices.BinarySearchFunc(s.members, s.local.ID, func(v NodeView, id string) int { return strings.Compare(v.ID, id) })
		if ok {
			s.members[i] = s.local
		} else {
			s.members, s.builtAt = trimMeta(c.Members()), now
		}
	}
	n.snap.Store(s)
}

// trimMeta drops the empty Meta maps of vs: a snapshot lives as long as
// the membership does not change, and most members carry no metadata.
// Members and LocalNode hand out a map of their own (cloneView) anyway.
func trimMeta(vs []NodeView) []NodeView {
	for i := range vs {
		if len(vs[i].Meta) == 0 {
			vs[i].Meta = nil
		}
	}
	return vs
}

// sameView reports whether a and b show the same member in the same state.
func sameView(a, b NodeView) bool {
	return a.ID == b.ID && a.Addr == b.Addr && a.State == b.State && a.Incarnation == b.Incarnation && maps.Equal(a.Meta, b.Meta)
}

// cloneView returns v with a Meta map of its own.
func cloneView(v NodeView) NodeView {
	v.Meta = maps.Clone(v.Meta)
	if v.Meta == nil {
		v.Meta = map[string]string{}
	}
	return v
}
