package node

import (
	"context"
	"errors"
	"sync"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

// readManyReplyBytes bounds the entries' bytes of one reqReadMany
// answer (one entry larger than that still goes alone); the asker asks
// again for the keys left unanswered.
const readManyReplyBytes = 1 << 20

// gatheredReads are the answers of other replicas to the reads of a
// batch that consult them: key k's answers are ans[s.lo:s.hi] with
// s = idx[k], one per other replica of the key.
type gatheredReads struct {
	idx map[string]span
	ans []replicaAnswer
}

// span is a range of gatheredReads.ans.
type span struct{ lo, hi int }

func (g *gatheredReads) reset() {
	clear(g.idx)
	clear(g.ans)
	g.ans = g.ans[:0]
}

// readTarget is the keys asked of one other replica and, for each, the
// slot of its answer in gatheredReads.ans.
type readTarget struct {
	r     string
	keys  []string
	slots []int
}

// gatherReads runs before the first command of a batch whose read must
// consult other replicas (read): it looks at that command and the
// batch's next ones that run here (runCmds or runReqs from runPos) for
// every read that will need them as things stand (no local copy, an
// expired or deleted one, or every read while the membership is
// settling) and asks each other replica for all of their keys at once:
// one reqReadMany per replica, the replicas in parallel, instead of one
// round trip per command in turn. It runs once per batch; a read that
// turns out to need other replicas without having been gathered (its
// local copy went away meanwhile) asks them alone (readReplicas).
func (b *batch) gatherReads() {
	b.gathered = true
	n := b.n
	g := &b.g
	if g.idx == nil {
		g.idx = map[string]span{}
	}
	var targets []readTarget
	add := func(args [][]byte) {
		if len(args) < 2 {
			return
		}
		name := resp.Name(args[0])
		o, ok := lookupOp(name)
		if !ok || !arityOK(o.arity, len(args)) || !(o.reads || (name == "set" && setReads(args))) {
			return
		}
		if !b.settling {
			if e, ok := n.store.Peek(string(args[1])); ok && e.Live(b.nowMS) {
				return
			}
		}
		if _, dup := g.idx[string(args[1])]; dup {
			return
		}
		key := string(args[1])
		lo := len(g.ans)
		for _, r := range b.v.replicas(key, n.cfg.Replicas) {
			if r == n.self {
				continue
			}
			if _, ok := b.v.members[r]; !ok {
				continue
			}
			t := -1
			for i := range targets {
				if targets[i].r == r {
					t = i
				}
			}
			if t < 0 {
				targets = append(targets, readTarget{r: r})
				t = len(targets) - 1
			}
			targets[t].keys = append(targets[t].keys, key)
			targets[t].slots = append(targets[t].slots, len(g.ans))
			g.ans = append(g.ans, replicaAnswer{id: r})
		}
		g.idx[key] = span{lo, len(g.ans)}
	}
	if b.runCmds != nil {
		for i := b.runPos; i < len(b.runCmds); i++ {
			if b.runInfos[i].local() {
				add(b.runCmds[i])
			}
		}
	} else {
		for _, r := range b.runReqs[b.runPos:] {
			// Decoded into scratch of its own: b.args holds the
			// arguments of the command being executed.
			if _, args, err := peer.DecodeExecInto(r, b.gargs); err == nil {
				add(args)
				b.gargs = args
			}
		}
		clear(b.gargs)
	}
	switch len(targets) {
	case 0:
	case 1:
		n.readMany(b.ctx, b.v, &targets[0], g.ans)
	default:
		var wg sync.WaitGroup
		for i := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.readMany(b.ctx, b.v, &targets[i], g.ans)
			}()
		}
		wg.Wait()
	}
}

// readMany asks the replica t.r for the entries of t.keys and records
// each answer in ans at its slot: as a rule in one request, more when
// the replica answered only a prefix (its reply bound). Keys the replica
// did not answer (an error, a timeout) keep answers that say so. A
// member that refuses reqReadMany (one not upgraded yet) is asked with
// reqRead, all the keys at once, as before.
func (n *Node) readMany(ctx context.Context, v *view, t *readTarget, ans []replicaAnswer) {
	m := v.members[t.r]
	keys, slots := t.keys, t.slots
	for len(keys) > 0 {
		cctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
		n.m.replicaReads.Add(1)
		b, err := n.pool.Call(cctx, m.peer, reqReadMany, peer.EncodeStrings(keys))
		cancel()
		if re := (*peer.RemoteError)(nil); errors.As(err, &re) {
			n.readOld(ctx, m.peer, t.r, keys, slots, ans)
			return
		}
		if err != nil {
			return
		}
		as, err := peer.DecodeReadAnswers(b)
		if err != nil || len(as) == 0 || len(as) > len(keys) {
			return
		}
		for i, a := range as {
			ans[slots[i]] = replicaAnswer{id: t.r, e: a.Entry, ok: true}
		}
		keys, slots = keys[len(as):], slots[len(as):]
	}
}

// readOld is readMany with reqRead, whose answer holds the entries of
// the keys the member has (any order, no bound on its size).
func (n *Node) readOld(ctx context.Context, addr, id string, keys []string, slots []int, ans []replicaAnswer) {
	cctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
	defer cancel()
	n.m.replicaReads.Add(1)
	b, err := n.pool.Call(cctx, addr, reqRead, peer.EncodeStrings(keys))
	if err != nil {
		return
	}
	es, err := peer.DecodeEntries(b)
	if err != nil {
		return
	}
	at := make(map[string]int, len(keys))
	for i, k := range keys {
		at[k] = slots[i]
		ans[slots[i]] = replicaAnswer{id: id, ok: true} // none, unless below
	}
	for _, e := range es {
		if s, ok := at[e.Key]; ok {
			ans[s].e = e.Entry
		}
	}
}

// serveReadMany answers a reqReadMany: the entries of the keys asked,
// in order, as stored (tombstones and expired values included), for a
// prefix of them (at least one) whose entries stay within
// readManyReplyBytes.
func (n *Node) serveReadMany(payload []byte) ([]byte, error) {
	keys, err := peer.DecodeStrings(payload)
	if err != nil {
		return nil, err
	}
	out := make([]peer.ReadAnswer, 0, len(keys))
	size := 0
	for _, k := range keys {
		if len(out) > 0 && size >= readManyReplyBytes {
			break
		}
		e, ok := n.store.Peek(k)
		out = append(out, peer.ReadAnswer{Found: ok, Entry: e})
		size += len(e.Value) + peer.EntryOverhead
	}
	return peer.EncodeReadAnswers(out), nil
}
