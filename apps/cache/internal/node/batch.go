package node

import (
	"context"
	"slices"
	"sort"
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

// fanOutBytes is the budget of the replies one pipeline's fan-out
// (fanOut) holds, whatever the number of coordinators its commands go
// to: before each round, the bytes held plus batchReplyBytes for each
// group that steps stay within it, but for the group of the pipeline's
// next command, which always steps (see fanOut for the bound).
const fanOutBytes = 4 << 20

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

	groups []fanGroup     // a segment's groups by coordinator (fanOut)
	grp    []int          // each command of the segment's group
	order  []int          // a round's unfinished groups, earliest first
	wg     sync.WaitGroup // the groups stepping on other goroutines

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

// ExecBatch runs pipelined commands (resp.BatchExecutor). The pipeline
// is cut into segments at the commands that are not single-key
// (multi-key ones such as MGET or DEL of several keys, KEYS, unknown
// commands...): such a barrier goes through Exec alone, once every
// command before it has been answered, so it observes the pipeline's
// earlier writes. Within a segment the commands are grouped by
// coordinator, each group in pipeline order: the group owned here
// executes here (its writes replicated together) while each other
// member's group is forwarded there, in as few requests as the reply
// bound allows, at the same time as far as the fan-out's budget
// (fanOutBytes) allows; the replies are written in pipeline order. A
// segment with one coordinator runs on the caller's goroutine alone.
//
// Order: the commands of one key have one coordinator, so they run in
// pipeline order, and a barrier sees every earlier write. Commands of
// different keys on different coordinators may run in any order with
// respect to each other, as a Redis Cluster client's pipeline split
// across nodes does.
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
		if infos[i].o == nil {
			out.B = append(out.B, n.Exec(ctx, proto, cmds[i])...)
			out.Mark()
			i++
			b.fresh = false
			continue
		}
		j, one := i+1, true
		for j < len(cmds) && infos[j].o != nil {
			one = one && infos[j].owner == infos[i].owner
			j++
		}
		if one {
			b.runOne(proto, i, j, out)
		} else {
			b.fanOut(proto, i, j, out)
		}
		i = j
	}
}

// runOne runs the pipeline's commands from to to, which one coordinator
// serves, on this goroutine.
func (b *batch) runOne(proto, from, to int, out *resp.Out) {
	cmds, infos := b.runCmds[from:to], b.runInfos[from:to]
	for i := 0; i < len(cmds); {
		if infos[i].owner == "" {
			i += b.runLocal(proto, from+i, nil, cmds[i:], infos[i:], out)
		} else {
			i += b.forward(proto, infos[i].owner, cmds[i:], out)
		}
		b.fresh = false
	}
}

// fanGroup is the commands of a pipeline segment that one coordinator
// serves, in pipeline order, and their replies not yet written out.
// Groups are kept in their batch, pooled with it.
type fanGroup struct {
	owner string     // the coordinator; "" for this node
	addr  string     // its internal address
	idx   []int      // where each command sits in the pipeline
	cmds  [][][]byte // the commands
	infos []cmdInfo  // theirs (the group owned here only)
	done  int        // commands answered
	lim   int        // this round's step runs cmds[done:lim]
	// replies answer cmds[done-len(replies):done]; the first sent of
	// them are written out, the others hold held bytes. They alias the
	// owner's answers, Exec's replies or buf.
	replies [][]byte
	sent    int
	held    int
	buf     []byte  // where the group owned here writes its replies
	fc      fwdCall // the group's forwarded request
	enc     []byte  // scratch for it
}

// pending reports whether the group has commands still to run.
func (g *fanGroup) pending() bool { return g.done < len(g.cmds) }

// first is where the group's first unanswered command sits in the
// pipeline (the group is pending).
func (g *fanGroup) first() int { return g.idx[g.done] }

func (g *fanGroup) add(r []byte) {
	g.replies = append(g.replies, r)
	g.held += len(r)
	g.done++
}

// release forgets what the group refers to, keeping its scratch space.
func (g *fanGroup) release() {
	clear(g.cmds)
	clear(g.infos)
	clear(g.replies)
	clear(g.fc.replies)
	g.owner, g.addr, g.done, g.lim, g.sent, g.held = "", "", 0, 0, 0, 0
	g.idx, g.cmds, g.infos, g.replies = g.idx[:0], g.cmds[:0], g.infos[:0], g.replies[:0]
	g.fc.cmds, g.fc.replies, g.fc.err = nil, g.fc.replies[:0], nil
	g.buf = g.buf[:0]
	if cap(g.buf) > maxKeptEnc {
		g.buf = nil
	}
	if cap(g.enc) > maxKeptEnc {
		g.enc = nil
	}
}

// fanOut runs the pipeline's commands from to to (single-key ones, of
// several coordinators) in rounds. In a round some groups each take one
// step at the same time: the group owned here runs on this goroutine
// (up to batchReplyBytes of replies), each other one sends one request
// (on its own goroutine, but for one when the group owned here does not
// step), whose owner answers a prefix of it; a failed request, or one
// answered with nothing, runs its first command through Exec instead,
// which tries the next replica. Then the replies of the commands
// answered so far are written out in pipeline order, up to the first
// command still unanswered; the others are held.
//
// Which groups step is the budget's call (fanOutBytes): the groups
// with commands left are taken in the order of their first unanswered
// command, and each steps while the bytes held plus batchReplyBytes
// for it and each one before it stay within the budget. The first one,
// whose first command is the next to write out (it holds nothing:
// every reply before that command is written), always steps, so the
// pipeline progresses; when it alone would pass the budget, it runs
// only its commands before every other group's first unanswered one,
// whose replies are all written out in the round, as the
// single-coordinator path's are.
//
// The bound: one step's replies pass batchReplyBytes by less than one
// reply (the one that crosses it: a reply is never split). A round
// within the budget thus ends holding, with the replies it received
// counted before any is written out, less than fanOutBytes plus one
// reply for each group that stepped (at most
// fanOutBytes/batchReplyBytes groups); a round over it holds no more
// after it than before, receiving meanwhile one step (less than
// batchReplyBytes plus one reply), written out at its end. So between
// rounds the replies held stay below fanOutBytes plus
// fanOutBytes/batchReplyBytes replies, and during a round below that
// plus batchReplyBytes and one reply. (The error replies of failed
// writes, spliced in after a step, may be longer than the replies they
// replace, by tens of bytes each.)
func (b *batch) fanOut(proto, from, to int, out *resp.Out) {
	n := b.n
	cmds, infos := b.runCmds, b.runInfos
	gs := b.groups[:0]
	b.grp = b.grp[:0]
	local := -1
	for p := from; p < to; p++ {
		owner := infos[p].owner
		k := 0
		for k < len(gs) && gs[k].owner != owner {
			k++
		}
		if k == len(gs) {
			if k < cap(gs) {
				gs = gs[:k+1]
			} else {
				gs = append(gs, fanGroup{})
			}
			gs[k].owner = owner
			if owner == "" {
				local = k
			} else {
				gs[k].addr = b.v.members[owner].peer
			}
		}
		g := &gs[k]
		g.idx, g.cmds = append(g.idx, p), append(g.cmds, cmds[p])
		if owner == "" {
			g.infos = append(g.infos, infos[p])
		}
		b.grp = append(b.grp, k)
	}
	b.groups = gs
	budget := fanOutBytes
	if l := n.fanOutBudget.Load(); l > 0 {
		budget = int(l)
	}

	ctx := b.ctx
	held := 0 // the bytes of replies all groups hold
	for next := from; next < to; {
		order := b.order[:0]
		for k := range gs {
			if gs[k].pending() {
				order = append(order, k)
			}
		}
		slices.SortFunc(order, func(x, y int) int { return gs[x].first() - gs[y].first() })
		b.order = order
		steps := 1 // order[0]'s first command is next
		for steps < len(order) && held+(steps+1)*batchReplyBytes <= budget {
			steps++
		}
		for _, k := range order[:steps] {
			gs[k].lim = len(gs[k].cmds)
		}
		if f := &gs[order[0]]; held+batchReplyBytes > budget && len(order) > 1 {
			stop := gs[order[1]].first()
			f.lim = f.done + sort.SearchInts(f.idx[f.done:], stop)
		}

		mine := order[0] // the group this goroutine steps
		if slices.Contains(order[:steps], local) {
			mine = local
		}
		for _, k := range order[:steps] {
			if k == mine {
				continue
			}
			g := &gs[k]
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				n.stepRemote(ctx, proto, g)
			}()
		}
		if mine == local {
			b.stepLocal(proto, &gs[local])
		} else {
			n.stepRemote(ctx, proto, &gs[mine])
		}
		b.wg.Wait()
		b.fresh = false

		end := to
		for k := range gs {
			if g := &gs[k]; g.pending() {
				end = min(end, g.first())
			}
		}
		for ; next < end; next++ {
			g := &gs[b.grp[next-from]]
			r := g.replies[g.sent]
			out.B = append(out.B, r...)
			out.Mark()
			g.replies[g.sent] = nil
			g.sent++
			g.held -= len(r)
		}
		held = 0
		for k := range gs {
			g := &gs[k]
			if g.sent == len(g.replies) {
				g.replies, g.sent, g.buf = g.replies[:0], 0, g.buf[:0]
			}
			held += g.held
		}
		if h := n.onFanOutRound.Load(); h != nil {
			(*h)(held)
		}
	}
	for k := range gs {
		gs[k].release()
	}
	clear(b.grp)
	clear(b.order)
}

// stepRemote sends the group's unanswered commands up to lim to their
// owner and adds the replies it gets (at least one).
func (n *Node) stepRemote(ctx context.Context, proto int, g *fanGroup) {
	for _, r := range n.forwardRun(ctx, proto, g.addr, g.cmds[g.done:g.lim], &g.fc, &g.enc) {
		g.add(r)
	}
}

// stepLocal runs the unanswered commands up to lim of the group owned
// here, up to batchReplyBytes of replies, and adds their replies.
func (b *batch) stepLocal(proto int, g *fanGroup) {
	if g.sent < len(g.replies) {
		// Replies still to write out alias buf: the new ones go to
		// another buffer (rare: a round cut by large replies).
		g.buf = nil
	}
	o := resp.Out{B: g.buf}
	start := len(o.B)
	k := b.runLocal(proto, g.done, g.idx, g.cmds[g.done:g.lim], g.infos[g.done:g.lim], &o)
	g.buf = o.B
	for _, end := range b.ends[:k] {
		g.add(g.buf[start:end])
		start = end
	}
}

// runLocal executes commands this node coordinates, appending their
// replies to out, until their replies pass batchReplyBytes; their
// writes are replicated together before the replies are released. The
// commands sit in the pipeline from index at on, or, with idx, at
// idx[at:]. It returns how many commands it ran (at least one); b.ends
// holds where each reply ends in out.B.
func (b *batch) runLocal(proto, at int, idx []int, cmds [][][]byte, infos []cmdInfo, out *resp.Out) int {
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
		if idx != nil {
			b.runPos = idx[at+k]
		} else {
			b.runPos = at + k
		}
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

// forward sends a run of commands owned by owner there (forwardRun)
// and appends the replies it gets (of a prefix of the run: at least
// one) to out. It returns how many commands were answered.
func (b *batch) forward(proto int, owner string, cmds [][][]byte, out *resp.Out) int {
	replies := b.n.forwardRun(b.ctx, proto, b.v.members[owner].peer, cmds, &b.fc, &b.enc)
	for _, r := range replies {
		out.B = append(out.B, r...)
		out.Mark()
	}
	return len(replies)
}

// forwardRun sends a run of commands to their owner at addr, merged
// with other callers' runs to the same member (forwarder), using the
// caller's c and enc, and returns the replies it gets: to a prefix of
// the run, at least one; they are valid until c's next use. On an
// error, or when the owner answers none of them (it cut the merged
// request before this run), the first command runs the ordinary way
// (Exec, which tries the next replica) and its reply is returned.
func (n *Node) forwardRun(ctx context.Context, proto int, addr string, cmds [][][]byte, c *fwdCall, enc *[]byte) [][]byte {
	c.proto, c.cmds = proto, cmds
	n.fwd.call(ctx, n.pool, addr, c, enc)
	if c.err != nil || len(c.replies) == 0 {
		if c.err != nil {
			n.m.forwardErrors.Add(1)
		}
		c.replies = append(c.replies[:0], n.Exec(ctx, proto, cmds[0]))
		return c.replies
	}
	n.m.forwarded.Add(uint64(len(c.replies)))
	return c.replies
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
