package node

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
)

// Serve answers an internal request from member from (peer.Handler).
func (n *Node) Serve(ctx context.Context, from string, typ byte, payload []byte) ([]byte, error) {
	switch typ {
	case reqExec:
		return n.serveExec(ctx, payload)
	case reqExecBatch:
		if h := n.onExecBatch.Load(); h != nil {
			(*h)()
		}
		return n.serveExecBatch(ctx, payload)
	case reqApply:
		es, err := peer.DecodeEntries(payload)
		if err != nil {
			return nil, err
		}
		// The clock first passes the newest version, so that later local
		// writes of these keys win over them.
		var newest store.Version
		for _, e := range es {
			if e.Entry.Version.Compare(newest) > 0 {
				newest = e.Entry.Version
			}
		}
		if !newest.IsZero() {
			n.clock.touch()
			_, _ = n.hlc.Update(newest.TS)
		}
		for _, e := range es {
			n.store.Apply(e.Key, e.Entry)
		}
		n.m.applied.Add(uint64(len(es)))
		return nil, nil
	case reqRead:
		keys, err := peer.DecodeStrings(payload)
		if err != nil {
			return nil, err
		}
		var out []peer.KeyEntry
		for _, k := range keys {
			if e, ok := n.store.Peek(k); ok {
				out = append(out, peer.KeyEntry{Key: k, Entry: e})
			}
		}
		return peer.EncodeEntries(out), nil
	case reqReadMany:
		return n.serveReadMany(payload)
	case reqKeys:
		a, err := peer.DecodeStrings(payload)
		if err != nil || len(a) != 2 {
			return nil, fmt.Errorf("%w: keys request", peer.ErrMalformed)
		}
		limit, err := strconv.Atoi(a[1])
		if err != nil || limit < 0 {
			return nil, fmt.Errorf("%w: keys limit", peer.ErrMalformed)
		}
		return peer.EncodeStrings(n.localKeys(a[0], limit, false)), nil
	case reqScan:
		a, err := peer.DecodeStrings(payload)
		if err != nil || len(a) != 3 {
			return nil, fmt.Errorf("%w: scan request", peer.ErrMalformed)
		}
		off, err1 := strconv.Atoi(a[0])
		count, err2 := strconv.Atoi(a[1])
		if err1 != nil || err2 != nil || off < 0 || count < 1 {
			return nil, fmt.Errorf("%w: scan cursor", peer.ErrMalformed)
		}
		next, keys := n.scanLocal(off, count, a[2])
		return peer.EncodeStrings(append([]string{strconv.Itoa(next)}, keys...)), nil
	case reqFlush:
		n.store.Flush()
		return nil, nil
	case reqCount:
		return []byte(strconv.Itoa(len(n.localKeys("*", -1, true)))), nil
	}
	return nil, fmt.Errorf("%w: request type %d", peer.ErrMalformed, typ)
}

// Inline reports which requests the internal server may serve on a
// connection's reading goroutine (peer.Inliner): storing and reading
// entries, which are quick and call no other member.
func (n *Node) Inline(typ byte) bool { return typ == reqApply || typ == reqRead || typ == reqReadMany }

// serveExec runs a forwarded single-key command as its coordinator.
func (n *Node) serveExec(ctx context.Context, payload []byte) ([]byte, error) {
	proto, args, err := n.decodeExec(payload, nil)
	if err != nil {
		return nil, err
	}
	return n.coordinate(ctx, proto, args), nil
}

// decodeExec decodes a forwarded command and checks that it is a
// single-key command with the right arity.
func (n *Node) decodeExec(payload []byte, scratch [][]byte) (int, [][]byte, error) {
	proto, args, err := peer.DecodeExecInto(payload, scratch)
	if err != nil {
		return 0, nil, err
	}
	o, ok := lookupOp(resp.Name(args[0]))
	if !ok || !arityOK(o.arity, len(args)) {
		return 0, nil, fmt.Errorf("%w: %q is not a single-key command", peer.ErrMalformed, args[0])
	}
	return proto, args, nil
}

// localKeys returns this node's live keys matching pattern (at most
// limit+1 when limit >= 0), only those it is the first replica of when
// owned is set.
func (n *Node) localKeys(pattern string, limit int, owned bool) []string {
	v := n.view.Load()
	nowMS := n.store.NowMS()
	var out []string
	n.store.Range(func(k string, e store.Entry) bool {
		if !e.Live(nowMS) || !match(pattern, k) {
			return true
		}
		if owned {
			if reps := v.replicas(k, 1); len(reps) == 0 || reps[0] != n.self {
				return true
			}
		}
		out = append(out, k)
		return limit < 0 || len(out) <= limit
	})
	return out
}

// scanLocal pages through the keys this node owns, in sorted order: the
// count keys from offset off, filtered by pattern, and the next offset
// (0 when done).
func (n *Node) scanLocal(off, count int, pattern string) (int, []string) {
	all := n.localKeys("*", -1, true)
	slices.Sort(all)
	if off >= len(all) {
		return 0, nil
	}
	end := min(off+count, len(all))
	var out []string
	for _, k := range all[off:end] {
		if match(pattern, k) {
			out = append(out, k)
		}
	}
	if end == len(all) {
		end = 0
	}
	return end, out
}
