package node

import (
	"context"
	"slices"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
)

// rebalanceBatch is the number of entries pushed in one request, and the
// rate limiter's burst.
const rebalanceBatch = 256

// rebalanceLoop runs a pass after each membership change, and retries a
// pass that could not reach everyone every 2s.
func (n *Node) rebalanceLoop() {
	defer n.wg.Done()
	var base *view // the membership the last complete pass left in place
	retry := time.NewTicker(2 * time.Second)
	defer retry.Stop()
	dirty := false
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.kick:
		case <-retry.C:
			if !dirty {
				continue
			}
		}
		cur := n.view.Load()
		n.m.rebalancing.Store(true)
		ok := n.rebalance(base, cur)
		n.m.rebalancing.Store(false)
		n.m.rebalances.Add(1)
		dirty = !ok
		if ok {
			base = cur
		}
	}
}

// gained reports whether member r of cur must be sent key: it was not
// among the key's replicas in base, or it restarted since.
func gained(base, cur *view, oldReps []string, r string) bool {
	if base == nil || !slices.Contains(oldReps, r) {
		return true
	}
	return base.members[r].boot != cur.members[r].boot
}

// rebalance pushes every local key to the replicas it gained between base
// and cur, throttled per target, then drops the keys this node no longer
// replicates once their new replicas have them. It reports whether every
// push succeeded.
func (n *Node) rebalance(base, cur *view) bool {
	type drop struct {
		key string
		ver store.Version
	}
	batches := map[string][]peer.KeyEntry{}
	failed := map[string]bool{} // targets that failed
	var drops []drop
	pushedTo := map[string][]string{} // key -> targets, for keys to drop
	flush := func(target string) {
		b := batches[target]
		if len(b) == 0 || failed[target] {
			batches[target] = b[:0]
			return
		}
		if err := n.limit.WaitN(n.ctx, target, len(b)); err != nil {
			failed[target] = true
			return
		}
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.RequestTimeout)
		_, err := n.pool.Call(ctx, cur.members[target].peer, reqApply, peer.EncodeEntries(b))
		cancel()
		if err != nil {
			failed[target] = true
		} else {
			n.m.moved.Add(uint64(len(b)))
		}
		batches[target] = b[:0]
	}
	n.store.Range(func(k string, e store.Entry) bool {
		if n.ctx.Err() != nil {
			return false
		}
		reps := cur.replicas(k, n.cfg.Replicas)
		var oldReps []string
		if base != nil {
			oldReps = base.replicas(k, n.cfg.Replicas)
		}
		mine := slices.Contains(reps, n.self)
		for _, r := range reps {
			if r == n.self || !gained(base, cur, oldReps, r) {
				continue
			}
			batches[r] = append(batches[r], peer.KeyEntry{Key: k, Entry: e})
			if !mine {
				pushedTo[k] = append(pushedTo[k], r)
			}
			if len(batches[r]) >= rebalanceBatch {
				flush(r)
			}
		}
		if !mine {
			drops = append(drops, drop{k, e.Version})
		}
		return true
	})
	for t := range batches {
		flush(t)
	}
	for _, d := range drops {
		ok := true
		for _, t := range pushedTo[d.key] {
			ok = ok && !failed[t]
		}
		if ok && n.store.Drop(d.key, d.ver) {
			n.m.dropped.Add(1)
		}
	}
	return len(failed) == 0 && n.ctx.Err() == nil
}
