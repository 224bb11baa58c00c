package node

import (
	"context"
	"sync"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

// reqExecBatch runs a run of single-key commands in order on their
// coordinator; answer: the replies of a prefix of them (at least one),
// stopping once they pass batchReplyBytes.
const reqExecBatch = 8

// batchReplyBytes bounds the replies of one forwarded batch, so a
// pipeline of large GETs is answered in pieces; runs of local commands
// are cut at the same size.
const batchReplyBytes = 1 << 20

// batch is what the commands of one pipelined run share: the view and
// the clock, read once, the last key looked up with its replicas, and
// scratch space. Batches are pooled; one serves one goroutine at a time.
type batch struct {
	n        *Node
	ctx      context.Context
	v        *view
	nowMS    int64
	settling bool
	fresh    bool // nothing has run since the clock was touched (getBatch)

	key  string   // the last key looked up
	reps []string // its replicas (nil: none looked up yet)

	c     call       // one command's execution
	infos []cmdInfo  // per command of the run
	ends  []int      // where each reply of a local run ends
	ws    []*pending // each write of a local run still to replicate
	pend  []pending  // where the writes' pending records are allocated
	args  [][]byte   // scratch for decoded arguments
	items [][]byte   // scratch for a decoded batch's items
	fc    fwdCall    // this batch's forwarded run
	enc   []byte     // scratch for an encoded request

	// The commands being executed, for gatherReads: a client's
	// pipeline (runCmds, of which those runInfos marks local run here)
	// or a served batch's encoded commands (runReqs); the one at runPos
	// is running.
	runCmds  [][][]byte
	runInfos []cmdInfo
	runReqs  [][]byte
	runPos   int
	gathered bool          // gatherReads ran
	g        gatheredReads // what it gathered
	gargs    [][]byte      // scratch for the arguments it decodes
}

// cmdInfo is how a command of a run is served.
type cmdInfo struct {
	o     *op    // nil: not a single-key command (or no replica known)
	name  string // lower-case command name
	key   string
	reps  []string
	owner string // the coordinator when it is another member
}

// maxKeptEnc is the largest request buffer a pooled batch keeps.
const maxKeptEnc = 64 << 10

var batchPool = sync.Pool{New: func() any { return new(batch) }}

func (n *Node) getBatch(ctx context.Context) *batch {
	b := batchPool.Get().(*batch)
	now := time.Now()
	n.clock.touchAt(now)
	b.fresh = true
	b.n, b.ctx, b.v = n, ctx, n.view.Load()
	b.nowMS = n.store.NowMS()
	b.settling = now.Sub(b.v.at) < n.cfg.SettleTime || n.m.rebalancing.Load()
	return b
}

func putBatch(b *batch) {
	clear(b.infos)
	clear(b.ws)
	b.c = call{}
	b.n, b.ctx, b.v, b.key, b.reps = nil, nil, nil, "", nil
	clear(b.pend)
	clear(b.args)
	clear(b.items)
	b.endRun()
	b.g.reset()
	clear(b.fc.replies)
	b.fc.cmds, b.fc.replies, b.fc.err = nil, b.fc.replies[:0], nil
	b.infos, b.ends, b.ws, b.pend, b.args, b.items = b.infos[:0], b.ends[:0], b.ws[:0], b.pend[:0], b.args[:0], b.items[:0]
	if cap(b.enc) > maxKeptEnc {
		b.enc = nil
	}
	batchPool.Put(b)
}

// endRun forgets the commands being executed (runCmds, runReqs); what
// gatherReads gathered is dropped by putBatch.
func (b *batch) endRun() {
	b.runCmds, b.runInfos, b.runReqs, b.runPos, b.gathered = nil, nil, nil, 0, false
}

// replicas returns key as a string and its replicas, reusing the last
// lookup for a repeated key.
func (b *batch) replicas(key []byte) (string, []string) {
	if b.reps != nil && string(key) == b.key {
		return b.key, b.reps
	}
	b.key = string(key)
	b.reps = b.v.replicas(b.key, b.n.cfg.Replicas)
	return b.key, b.reps
}

// info classifies one command.
func (b *batch) info(args [][]byte) cmdInfo {
	if len(args) < 2 {
		return cmdInfo{}
	}
	name := resp.Name(args[0])
	o, ok := lookupOp(name)
	if !ok || !arityOK(o.arity, len(args)) {
		return cmdInfo{}
	}
	key, reps := b.replicas(args[1])
	if len(reps) == 0 {
		return cmdInfo{}
	}
	in := cmdInfo{o: o, name: name, key: key, reps: reps}
	if reps[0] != b.n.self {
		if _, ok := b.v.members[reps[0]]; !ok {
			return cmdInfo{} // routed the slow way: it tries the next replica
		}
		in.owner = reps[0]
	}
	return in
}

func (in *cmdInfo) local() bool { return in.o != nil && in.owner == "" }

// ExecBatch runs pipelined commands (resp.BatchExecutor): each run of
// consecutive commands owned by the same other member goes there in as
// few requests as the reply bound allows; runs owned here execute here,
// with their writes replicated together; the rest go through Exec.
func (n *Node) ExecBatch(ctx context.Context, proto int, cmds [][][]byte, out *resp.Out) {
	b := n.getBatch(ctx)
	defer putBatch(b)
	b.c.proto = proto
	for _, args := range cmds {
		b.infos = append(b.infos, b.info(args))
	}
	infos := b.infos
	b.runCmds, b.runInfos = cmds, infos
	for i := 0; i < len(cmds); {
		in := &infos[i]
		switch {
		case in.o == nil:
			out.B = append(out.B, n.Exec(ctx, proto, cmds[i])...)
			out.Mark()
			i++
		case in.owner == "":
			j := i + 1
			for j < len(cmds) && infos[j].local() {
				j++
			}
			i += b.runLocal(proto, i, cmds[i:j], infos[i:j], out)
		default:
			j := i + 1
			for j < len(cmds) && infos[j].o != nil && infos[j].owner == in.owner {
				j++
			}
			i += b.forward(proto, in.owner, cmds[i:j], out)
		}
		b.fresh = false
	}
}

// runLocal executes commands this node coordinates (the pipeline's
// from index at), appending their replies to out, until their replies
// pass batchReplyBytes; their writes are replicated together before the
// replies are released. It returns how many commands it ran (at least
// one).
func (b *batch) runLocal(proto, at int, cmds [][][]byte, infos []cmdInfo, out *resp.Out) int {
	base := len(out.B)
	if !b.fresh {
		b.n.clock.touch() // the batch's earlier commands may have waited on other members
	}
	if cap(b.pend)-len(b.pend) < len(cmds) {
		b.pend = make([]pending, 0, len(cmds))
	}
	b.ends, b.ws = b.ends[:0], b.ws[:0]
	remote := false
	k := 0
	for k < len(cmds) && len(out.B)-base < batchReplyBytes {
		var w *pending
		b.runPos = at + k
		out.B, w = b.exec(proto, &infos[k], cmds[k], out.B)
		b.ends, b.ws = append(b.ends, len(out.B)), append(b.ws, w)
		remote = remote || w != nil
		k++
	}
	if remote {
		if failed := b.n.settleWrites(b.ctx, b.ws); failed != nil {
			out.B = spliceFailures(out.B, base, b.ends, failed)
		}
	}
	out.Mark()
	return k
}

// spliceFailures rewrites the replies in buf[base:] (reply i ends at
// ends[i]) whose write failed into NOREPLICAS errors; ends is updated.
func spliceFailures(buf []byte, base int, ends []int, failed []bool) []byte {
	tail := append([]byte(nil), buf[base:]...)
	buf = buf[:base]
	start := 0
	for i, end := range ends {
		if failed[i] {
			buf = resp.AppendError(buf, resp.ErrNoReplicas)
		} else {
			buf = append(buf, tail[start:end-base]...)
		}
		start, ends[i] = end-base, len(buf)
	}
	return buf
}

// forward sends a run of commands owned by owner there, merged with
// other clients' runs to the same member (forwarder), and appends the
// replies it gets (of a prefix of the run: at least one) to out. It
// returns how many commands were answered.
func (b *batch) forward(proto int, owner string, cmds [][][]byte, out *resp.Out) int {
	n := b.n
	c := &b.fc
	c.proto, c.cmds = proto, cmds
	n.fwd.call(b.ctx, n.pool, b.v.members[owner].peer, c, &b.enc)
	if c.err != nil || len(c.replies) == 0 {
		// Run the first one the ordinary way (it tries the next
		// replica), then go on batching. (No replies without an
		// error: the owner cut the merged request before this run.)
		if c.err != nil {
			n.m.forwardErrors.Add(1)
		}
		out.B = append(out.B, n.Exec(b.ctx, proto, cmds[0])...)
		out.Mark()
		return 1
	}
	for _, r := range c.replies {
		out.B = append(out.B, r...)
		out.Mark()
	}
	n.m.forwarded.Add(uint64(len(c.replies)))
	return len(c.replies)
}

// serveExecBatch runs a forwarded batch here, in order, up to
// batchReplyBytes of replies.
func (n *Node) serveExecBatch(ctx context.Context, payload []byte) ([]byte, error) {
	b := n.getBatch(ctx)
	defer putBatch(b)
	reqs, err := peer.DecodeBatchInto(payload, b.items)
	if err != nil {
		return nil, err
	}
	b.items = reqs
	// The replies are gathered in the batch's scratch (unused here:
	// it holds requests this node forwards) and copied out below.
	buf := b.enc[:0]
	defer func() { b.enc = buf[:0] }()
	if cap(b.pend) < len(reqs) {
		b.pend = make([]pending, 0, len(reqs))
	}
	b.runReqs = reqs
	for i, r := range reqs {
		b.runPos = i
		proto, args, err := n.decodeExec(r, b.args)
		if err != nil {
			return nil, err
		}
		in := b.info(args)
		if in.o == nil {
			// No replica known here: run it for the sender anyway.
			in = cmdInfo{o: ops[resp.Name(args[0])], name: resp.Name(args[0])}
			in.key, in.reps = b.replicas(args[1])
		}
		var w *pending
		buf, w = b.exec(proto, &in, args, buf)
		b.ends, b.ws = append(b.ends, len(buf)), append(b.ws, w)
		b.args = args
		if len(buf) >= batchReplyBytes {
			break
		}
	}
	if failed := n.settleWrites(ctx, b.ws); failed != nil {
		buf = spliceFailures(buf, 0, b.ends, failed)
	}
	return peer.AppendReplyBatch(make([]byte, 0, len(buf)+4*len(b.ends)+8), buf, b.ends), nil
}
