package gossip

import (
	"maps"

	"github.com/libgossip/libgossip/gossip/core"
)

// snapshot is what the read API serves: published by the protocol
// goroutine after every membership change, API call and gossip interval,
// and never modified once published.
type snapshot struct {
	members []NodeView
	local   NodeView
	stats   core.Stats
}

func (n *Node) publishSnapshot(c *core.Core) {
	n.snap.Store(&snapshot{members: c.Members(), local: c.LocalNode(), stats: c.Stats()})
}

// cloneView returns v with a Meta map of its own.
func cloneView(v NodeView) NodeView {
	v.Meta = maps.Clone(v.Meta)
	if v.Meta == nil {
		v.Meta = map[string]string{}
	}
	return v
}
