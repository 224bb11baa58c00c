package node

import (
	"context"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
)

// reqExecBatch runs a run of single-key commands in order on their
// coordinator; answer: the replies of a prefix of them (at least one),
// stopping once they pass batchReplyBytes.
const reqExecBatch = 8

// batchReplyBytes bounds the replies of one forwarded batch, so a
// pipeline of large GETs is answered in pieces.
const batchReplyBytes = 1 << 20

// remoteOwner returns the member a command would be forwarded to, or ""
// when it runs here (keys owned here, multi-key and cluster commands).
func (n *Node) remoteOwner(v *view, args [][]byte) string {
	if len(args) < 2 {
		return ""
	}
	o, ok := ops[resp.Name(args[0])]
	if !ok || !arityOK(o.arity, len(args)) {
		return ""
	}
	reps := v.replicas(string(args[1]), n.cfg.Replicas)
	if len(reps) == 0 || reps[0] == n.self {
		return ""
	}
	if _, ok := v.members[reps[0]]; !ok {
		return ""
	}
	return reps[0]
}

// ownedHere reports whether args is a single-key command whose key this
// node coordinates.
func (n *Node) ownedHere(v *view, args [][]byte) bool {
	if len(args) < 2 {
		return false
	}
	o, ok := ops[resp.Name(args[0])]
	if !ok || !arityOK(o.arity, len(args)) {
		return false
	}
	reps := v.replicas(string(args[1]), n.cfg.Replicas)
	return len(reps) > 0 && reps[0] == n.self
}

// ExecBatch runs pipelined commands (resp.BatchExecutor): each run of
// consecutive commands owned by the same other member goes there in as
// few requests as the reply bound allows; the rest run here, in order.
func (n *Node) ExecBatch(ctx context.Context, proto int, cmds [][][]byte, emit func([]byte)) {
	v := n.view.Load()
	for i := 0; i < len(cmds); {
		owner := n.remoteOwner(v, cmds[i])
		j := i + 1
		for owner != "" && j < len(cmds) && n.remoteOwner(v, cmds[j]) == owner {
			j++
		}
		if owner == "" {
			// A run of single-key commands owned here: run them in order,
			// replicate their writes at once.
			for j = i; j < len(cmds) && n.ownedHere(v, cmds[j]); j++ {
			}
			if j-i < 2 {
				emit(n.Exec(ctx, proto, cmds[i]))
				i++
				continue
			}
			replies := make([][]byte, j-i)
			repl := make([]*pending, j-i)
			for k := i; k < j; k++ {
				replies[k-i], repl[k-i] = n.coordinateAsync(ctx, proto, cmds[k])
			}
			n.runAll(ctx, replies, repl)
			for _, r := range replies {
				emit(r)
			}
			i = j
			continue
		}
		if j == i+1 {
			emit(n.Exec(ctx, proto, cmds[i]))
			i = j
			continue
		}
		reqs := make([][]byte, 0, j-i)
		for _, c := range cmds[i:j] {
			reqs = append(reqs, peer.EncodeExec(proto, c))
		}
		cctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
		b, err := n.pool.Call(cctx, v.members[owner].peer, reqExecBatch, peer.EncodeBatch(reqs))
		cancel()
		var replies [][]byte
		if err == nil {
			replies, err = peer.DecodeBatch(b)
		}
		if err != nil || len(replies) == 0 || len(replies) > j-i {
			// Run the first one the ordinary way (it tries the next
			// replica), then go on batching.
			n.m.forwardErrors.Add(1)
			emit(n.Exec(ctx, proto, cmds[i]))
			i++
			continue
		}
		for _, r := range replies {
			emit(r)
		}
		n.m.forwarded.Add(uint64(len(replies)))
		i += len(replies)
	}
}

// serveExecBatch runs a forwarded batch here, in order, up to
// batchReplyBytes of replies.
func (n *Node) serveExecBatch(ctx context.Context, payload []byte) ([]byte, error) {
	reqs, err := peer.DecodeBatch(payload)
	if err != nil {
		return nil, err
	}
	var replies [][]byte
	var repl []*pending
	size := 0
	for _, r := range reqs {
		proto, args, err := n.decodeExec(r)
		if err != nil {
			return nil, err
		}
		reply, fn := n.coordinateAsync(ctx, proto, args)
		replies, repl = append(replies, reply), append(repl, fn)
		if size += len(reply); size >= batchReplyBytes {
			break
		}
	}
	n.runAll(ctx, replies, repl)
	return peer.EncodeBatch(replies), nil
}
