package node

import (
	"context"
	"sync"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
)

// hints remembers keys that replicas missed (hinted handoff). Only keys
// are kept; the current local entry is sent when the replica is back.
// It is bounded: hints beyond max are dropped (counted), and a member
// gone from the view for hintTTL loses its hints (rebalancing has moved
// its keys by then).
type hints struct {
	mu      sync.Mutex
	keys    map[string]map[string]struct{}
	gone    map[string]time.Time
	total   int
	max     int
	dropped uint64
}

const hintTTL = time.Minute

func newHints(max int) *hints {
	return &hints{keys: map[string]map[string]struct{}{}, gone: map[string]time.Time{}, max: max}
}

func (h *hints) add(target, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ks := h.keys[target]
	if ks == nil {
		ks = map[string]struct{}{}
		h.keys[target] = ks
	}
	if _, ok := ks[key]; ok {
		return
	}
	if h.total >= h.max {
		h.dropped++
		return
	}
	ks[key] = struct{}{}
	h.total++
}

// take removes and returns up to max keys hinted for target.
func (h *hints) take(target string, max int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for k := range h.keys[target] {
		if len(out) == max {
			break
		}
		out = append(out, k)
		delete(h.keys[target], k)
	}
	h.total -= len(out)
	return out
}

func (h *hints) targets() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for t, ks := range h.keys {
		if len(ks) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// pending returns the number of hinted keys and of hints dropped.
func (h *hints) pending() (int, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total, h.dropped
}

// expire drops target's hints once it has been out of the view for
// hintTTL.
func (h *hints) expire(target string, inView bool, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if inView {
		delete(h.gone, target)
		return
	}
	since, ok := h.gone[target]
	if !ok {
		h.gone[target] = now
		return
	}
	if now.Sub(since) > hintTTL {
		h.total -= len(h.keys[target])
		delete(h.keys, target)
		delete(h.gone, target)
	}
}

// hintLoop delivers hints to members in the view every 200ms.
func (n *Node) hintLoop() {
	defer n.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.deliverHints()
		}
	}
}

func (n *Node) deliverHints() {
	v := n.view.Load()
	for _, target := range n.hints.targets() {
		m, ok := v.members[target]
		n.hints.expire(target, ok, time.Now())
		if !ok {
			continue
		}
		for {
			keys := n.hints.take(target, rebalanceBatch)
			if len(keys) == 0 {
				break
			}
			var batch []peer.KeyEntry
			for _, k := range keys {
				if e, ok := n.store.Peek(k); ok {
					batch = append(batch, peer.KeyEntry{Key: k, Entry: e})
				}
			}
			ctx, cancel := context.WithTimeout(n.ctx, n.cfg.RequestTimeout)
			_, err := n.pool.Call(ctx, m.peer, reqApply, peer.EncodeEntries(batch))
			cancel()
			if err != nil {
				for _, k := range keys {
					n.hints.add(target, k)
				}
				break
			}
			n.m.hintsDelivered.Add(uint64(len(batch)))
		}
	}
}
