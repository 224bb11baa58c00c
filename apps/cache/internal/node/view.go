package node

import (
	"maps"
	"slices"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/utils/hashring"
)

// member is what a view knows of one cache member.
type member struct {
	peer, resp, http, boot string
}

// view is an immutable picture of the live cache members and their ring.
type view struct {
	ring    *hashring.Ring
	members map[string]member
	ids     []string
	at      time.Time // when this membership was first seen
}

// replicas returns key's preference list: up to R distinct members.
func (v *view) replicas(key string, r int) []string {
	if len(v.ids) == 1 {
		return v.ids // callers only read it
	}
	reps, err := v.ring.GetN(key, r)
	if err != nil {
		return nil
	}
	return reps
}

func (v *view) same(m map[string]member) bool {
	return maps.Equal(v.members, m)
}

func newView(m map[string]member, at time.Time) *view {
	r, _ := hashring.New(hashring.Config{})
	ids := slices.Sorted(maps.Keys(m))
	for _, id := range ids {
		_ = r.Add(id)
	}
	return &view{ring: r, members: m, ids: ids, at: at}
}

// memberOf reads a gossip member's cache metadata.
func memberOf(v gossip.NodeView) (member, bool) {
	p := v.Meta[MetaPeer]
	if p == "" {
		return member{}, false
	}
	return member{peer: p, resp: v.Meta[MetaRESP], http: v.Meta[MetaHTTP], boot: v.Meta[MetaBoot]}, true
}

// refreshView rebuilds the view from gossip's live members when they
// changed, and wakes the rebalancer.
func (n *Node) refreshView() {
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	m := map[string]member{n.self: {peer: n.peerAddr, resp: n.respAddr, boot: n.boot}}
	for _, v := range n.gossip.LiveMembers() {
		if v.ID == n.self {
			if mm, ok := memberOf(v); ok {
				m[n.self] = mm
			}
			continue
		}
		if mm, ok := memberOf(v); ok {
			m[v.ID] = mm
		}
	}
	old := n.view.Load()
	if old != nil && old.same(m) {
		return
	}
	n.view.Store(newView(m, time.Now()))
	if old != nil {
		for id, om := range old.members {
			if nm, ok := m[id]; !ok || nm.peer != om.peer {
				n.pool.Forget(om.peer)
				n.fwd.forget(om.peer)
			}
		}
		n.log.Info("cache membership changed", "members", len(m))
	}
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// watchMembers polls gossip's membership snapshot (a cheap read) and
// rebuilds the view on change.
func (n *Node) watchMembers() {
	defer n.wg.Done()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.refreshView()
		}
	}
}

// settling reports whether the membership changed recently, so that a
// replica may lack keys it should have.
func (n *Node) settling() bool {
	return time.Since(n.view.Load().at) < n.cfg.SettleTime || n.m.rebalancing.Load()
}

// isMember authorizes internal connections: id must be a live member
// publishing a cache address.
func (n *Node) isMember(id string) bool {
	if _, ok := n.view.Load().members[id]; ok {
		return true
	}
	for _, v := range n.gossip.LiveMembers() {
		if v.ID == id {
			_, ok := memberOf(v)
			return ok
		}
	}
	return false
}
