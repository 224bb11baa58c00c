package gossip

import (
	"context"
	"slices"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
)

// Meet adds a member known by other means and introduces this member to
// it. It waits only for the protocol goroutine, never for the network.
func (n *Node) Meet(v NodeView) error {
	return n.call(func(c *core.Core) error { return c.Meet(n.now(), v) })
}

// Leave announces a graceful departure and waits, bounded by ctx, until the
// announcement has been gossiped a few rounds and written to the network
// (for at most the send queues' age, WithSendQueue: a destination that
// takes longer would drop it as stale anyway). The node keeps running (and
// answering) until Shutdown.
func (n *Node) Leave(ctx context.Context) error {
	if err := n.call(func(c *core.Core) error { return c.Leave(n.now()) }); err != nil {
		return err
	}
	for range 5 {
		var queued int
		if err := n.call(func(c *core.Core) error { queued = c.Stats().QueuedUpdates; return nil }); err != nil {
			return err
		}
		if queued == 0 {
			break
		}
		t := n.opts.clock.NewTimer(n.cfg.GossipInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
	wctx, cancel := context.WithTimeout(ctx, n.opts.sendAge)
	defer cancel()
	if err := n.out.waitIdle(wctx); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// Members returns every member known, including this one and members dead
// or left but not yet reaped, sorted by ID. Before Start it returns nil.
// It reads the latest published snapshot (current after any join, state
// change, metadata change or removal; an incarnation that rises with no
// such change shows within a gossip interval of a call to Members) and
// never waits for the protocol goroutine. The caller owns the slice and its maps.
func (n *Node) Members() []NodeView {
	s := n.snap.Load()
	if s == nil {
		return nil
	}
	if !n.membersRead.Load() {
		n.membersRead.Store(true)
	}
	out := slices.Clone(s.members)
	for i := range out {
		out[i] = cloneView(out[i])
	}
	return out
}

// LiveMembers returns the members that are alive or suspect, this one
// included while it has not left. Like Members, it never waits.
func (n *Node) LiveMembers() []NodeView {
	all := n.Members()
	out := all[:0]
	for _, v := range all {
		if v.State <= StateSuspect {
			out = append(out, v)
		}
	}
	return out
}

// LocalNode returns this member's view. Before Start it reports the
// configured id, address and metadata. It never waits.
func (n *Node) LocalNode() NodeView {
	s := n.snap.Load()
	if s == nil {
		return cloneView(NodeView{ID: n.given.ID, Addr: n.given.Addr, Meta: n.given.Meta})
	}
	return cloneView(s.local)
}

// SetMeta replaces this member's metadata and spreads it. Metadata over
// Config.MaxMetaSize gives an error wrapping ErrMetaTooLarge; an empty or
// overlong key one wrapping ErrMetaInvalid.
func (n *Node) SetMeta(meta map[string]string) error {
	return n.call(func(c *core.Core) error {
		if _, err := wire.EncodeMeta(meta, c.Config().MaxMetaSize); err != nil {
			return metaError(err)
		}
		return c.SetMeta(n.now(), meta)
	})
}

// UpdateMeta changes this member's metadata in place and spreads it: fn
// gets a copy of the current metadata to change, and the result replaces
// it when fn returns nil. The read, the change and the write happen as one
// step on the protocol goroutine, so concurrent UpdateMeta calls (from
// several services sharing a node, each owning some keys) never lose each
// other's keys, which a LocalNode-then-SetMeta cycle can. fn must be
// quick and must not call the Node (it would wait for itself). Errors are
// fn's own, or SetMeta's (the metadata is then left unchanged).
func (n *Node) UpdateMeta(fn func(meta map[string]string) error) error {
	return n.call(func(c *core.Core) error {
		meta := c.LocalNode().Meta
		if meta == nil {
			meta = map[string]string{}
		}
		if err := fn(meta); err != nil {
			return err
		}
		if _, err := wire.EncodeMeta(meta, c.Config().MaxMetaSize); err != nil {
			return metaError(err)
		}
		return c.SetMeta(n.now(), meta)
	})
}

// Broadcast spreads payload to every other member, where it arrives as an
// EventUser. Delivery is best effort and de-duplicated.
func (n *Node) Broadcast(payload []byte) error {
	return n.call(func(c *core.Core) error { return c.Broadcast(n.now(), payload) })
}

// NodeStats are a Node's counters: the core's and the runtime's own. All
// counts are cumulative since Start.
type NodeStats struct {
	core.Stats
	SendErrors     uint64 // packets the transport refused or failed to send
	StreamErrors   uint64 // streams that failed to connect, write or read
	DecodeErrors   uint64 // inputs the codec or core rejected
	SendDropped    uint64 // outbound messages dropped because a queue was full
	SendStale      uint64 // outbound messages dropped because they waited too long (WithSendQueue)
	InboundDropped uint64 // received packets dropped because the protocol goroutine was behind
	Oversize       uint64 // packets larger than the transport's packet size once encoded, split or sent over streams
}

// Stats returns the node's counters. The core's share comes from the
// latest snapshot (at most one gossip interval old); it never waits.
func (n *Node) Stats() NodeStats {
	var s NodeStats
	if snap := n.snap.Load(); snap != nil {
		s.Stats = snap.stats
	}
	s.SendErrors = n.sendErrors.Load()
	s.StreamErrors = n.streamErrors.Load()
	s.DecodeErrors = n.decodeErrors.Load()
	s.InboundDropped = n.inboundDropped.Load()
	s.Oversize = n.oversize.Load()
	s.SendDropped = n.out.dropped.Load()
	s.SendStale = n.out.stale.Load()
	return s
}
