package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sync"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
)

// Internal request types.
const (
	reqExec  = 1 // run a command as the key's coordinator; answer: RESP reply
	reqApply = 2 // store entries (replication, hints, rebalancing)
	reqRead  = 3 // a key's raw entry (read repair)
	reqKeys  = 4 // live keys matching a pattern, up to a limit
	reqScan  = 5 // a page of keys this member owns
	reqFlush = 6 // drop every entry
	reqCount = 7 // keys this member owns
	// reqReadMany: several keys' raw entries (a batch's reads that
	// consult other replicas); answer: peer.EncodeReadAnswers of a
	// prefix of the keys (at least one), stopping once it passes
	// readManyReplyBytes.
	reqReadMany = 9
)

const errUnreachable = "CLUSTERDOWN no replica of the key is reachable"

// Exec runs one client command and returns its reply (resp.Executor).
func (n *Node) Exec(ctx context.Context, proto int, args [][]byte) []byte {
	name := resp.Name(args[0])
	switch name {
	case "mget", "del", "exists":
		if len(args) < 2 {
			return errReply(resp.ErrArity(name))
		}
		if len(args) == 2 && name != "mget" {
			return n.route(ctx, proto, args)
		}
		return n.multi(ctx, proto, name, args[1:])
	case "mset":
		if len(args) < 3 || len(args)%2 == 0 {
			return errReply(resp.ErrArity(name))
		}
		return n.mset(ctx, proto, args[1:])
	case "keys", "scan", "dbsize", "flushall", "flushdb", "info":
		return n.clusterCommand(ctx, proto, name, args)
	}
	if o, ok := ops[name]; ok {
		if !arityOK(o.arity, len(args)) {
			return errReply(resp.ErrArity(name))
		}
		return n.route(ctx, proto, args)
	}
	return errReply(resp.ErrUnknown(string(args[0]), args[1:]))
}

// route runs a single-key command on the first reachable member of the
// key's preference list.
func (n *Node) route(ctx context.Context, proto int, args [][]byte) []byte {
	key := string(args[1])
	v := n.view.Load()
	reps := v.replicas(key, n.cfg.Replicas)
	for _, r := range reps {
		if r == n.self {
			return n.coordinate(ctx, proto, args)
		}
		m, ok := v.members[r]
		if !ok {
			continue
		}
		reply, err := n.pool.Call(ctx, m.peer, reqExec, peer.EncodeExec(proto, args))
		if err == nil {
			n.m.forwarded.Add(1)
			return reply
		}
		n.m.forwardErrors.Add(1)
		var re *peer.RemoteError
		if errors.As(err, &re) {
			return errReply("ERR " + re.Msg)
		}
	}
	return errReply(errUnreachable)
}

// coordinate runs a single-key command here and returns its reply once
// W replicas have a write.
func (n *Node) coordinate(ctx context.Context, proto int, args [][]byte) []byte {
	reply, w := n.coordinateAsync(ctx, proto, args)
	if w != nil && !n.replicate(ctx, []*pending{w})[0] {
		return errReply(resp.ErrNoReplicas)
	}
	return reply
}

// coordinateAsync runs a single-key command here. A write is applied to
// the local store before it returns, and returned as pending (nil for a
// command that wrote nothing or that no other replica needs) for
// replicate to send to the other replicas. Callers with several writes
// replicate them together: replicas keep the newest version whatever the
// order.
func (n *Node) coordinateAsync(ctx context.Context, proto int, args [][]byte) ([]byte, *pending) {
	b := n.getBatch(ctx)
	defer putBatch(b)
	in := cmdInfo{o: ops[resp.Name(args[0])], name: resp.Name(args[0])}
	in.key, in.reps = b.replicas(args[1])
	b.pend = nil // the pending write outlives the batch: not from its slab
	return b.exec(proto, &in, args, nil)
}

// exec runs the single-key command args here, appending its reply to
// dst. A write is applied locally and returned as pending when other
// replicas must have it before the reply may be released.
func (b *batch) exec(proto int, in *cmdInfo, args [][]byte, dst []byte) ([]byte, *pending) {
	n := b.n
	reads := in.o.reads || (in.name == "set" && setReads(args))
	c := &b.c
	// Field by field: assigning a whole call literal costs a typed copy
	// of the struct per command.
	c.args, c.proto, c.nowMS, c.dst = args, proto, b.nowMS, dst
	c.cur, c.live, c.next = store.Entry{}, false, store.Entry{}
	if reads {
		switch in.name {
		case "get", "exists", "ttl", "pttl", "strlen":
		default:
			l := n.lock(args[1])
			l.Lock()
			defer l.Unlock()
		}
		c.cur, c.live = b.read(in.key)
		c.live = c.live && c.cur.Live(c.nowMS)
	}

	reply, next := in.o.fn(c)
	if next == nil {
		return reply, nil
	}
	if next.Deleted {
		next.Value = nil
	} else {
		// The value may alias a whole request buffer (a client's command,
		// a forwarded batch); store its own copy so the byte bound holds.
		next.Value = bytes.Clone(next.Value)
	}
	if len(next.Value) > n.cfg.Limits.MaxBulk {
		return resp.AppendError(dst, "ERR string exceeds maximum allowed size (proto-max-bulk-len)"), nil
	}
	if reads {
		// The read may have waited (on the key's lock, on other
		// replicas): stamp the write from a fresh reading.
		n.clock.touch()
	}
	next.Version = n.version()
	return reply, b.write(in.key, in.reps, *next)
}

// write stores e here and, when other replicas of key (reps) must have
// it too, returns it as pending for replicate; the pending record comes
// from the batch's slab when it has room.
func (b *batch) write(key string, reps []string, e store.Entry) *pending {
	n := b.n
	n.store.Apply(key, e)
	acks := 0
	for _, r := range reps {
		if r == n.self {
			acks++
		}
	}
	if acks == len(reps) {
		return nil
	}
	var w *pending
	if len(b.pend) < cap(b.pend) {
		b.pend = b.pend[:len(b.pend)+1]
		w = &b.pend[len(b.pend)-1]
	} else {
		w = new(pending)
	}
	*w = pending{key: key, e: e, v: b.v, need: min(n.cfg.WriteAcks, len(reps)), acks: acks}
	if acks == 1 && reps[0] == n.self {
		w.others = reps[1:] // read only
	} else {
		for _, r := range reps {
			if r != n.self {
				w.others = append(w.others, r)
			}
		}
	}
	return w
}

// settleWrites replicates the writes in ws (nil entries wrote nothing
// to send) together and returns which of them W replicas did not
// acknowledge, or nil when all were.
func (n *Node) settleWrites(ctx context.Context, ws []*pending) []bool {
	list := make([]*pending, 0, len(ws))
	idx := make([]int, 0, len(ws))
	for i, w := range ws {
		if w != nil {
			list, idx = append(list, w), append(idx, i)
		}
	}
	if len(list) == 0 {
		return nil
	}
	var failed []bool
	for k, ok := range n.replicate(ctx, list) {
		if !ok {
			if failed == nil {
				failed = make([]bool, len(ws))
			}
			failed[idx[k]] = true
		}
	}
	return failed
}

// read returns key's newest entry (see readReplicas) as of the batch.
// When the local copy is not enough (missing, or the membership is
// settling) and the batch is executing a client's pipeline or a served
// batch, the reads of its commands from this one on that need other
// replicas are gathered first and sent as one request per replica
// (gatherReads); a key gathered earlier in the batch is answered from
// what its replicas said then.
func (b *batch) read(key string) (store.Entry, bool) {
	e, ok := b.n.store.GetAt(key, b.nowMS)
	if !ok {
		e, ok = b.n.store.Peek(key)
	}
	if ok && !b.settling {
		return e, true
	}
	if b.runCmds != nil || b.runReqs != nil {
		if !b.gathered {
			b.gatherReads()
		}
		if s, hit := b.g.idx[key]; hit {
			return b.n.newestRead(key, e, ok, b.g.ans[s.lo:s.hi])
		}
	}
	return b.n.readReplicas(b.ctx, key, e, ok)
}

// replicaAnswer is what one other replica said of a key: its entry (a
// zero version when it has none) and whether it answered at all.
type replicaAnswer struct {
	id string
	e  store.Entry
	ok bool
}

// readReplicas asks key's other replicas for their copies, one request
// each in parallel, and returns the newest of theirs and the local one
// (e, ok), repairing stale copies (newestRead).
func (n *Node) readReplicas(ctx context.Context, key string, e store.Entry, ok bool) (store.Entry, bool) {
	v := n.view.Load()
	reps := v.replicas(key, n.cfg.Replicas)
	var others []string
	for _, r := range reps {
		if r != n.self {
			others = append(others, r)
		}
	}
	if len(others) == 0 {
		return e, ok
	}
	ch := make(chan replicaAnswer, len(others))
	for _, r := range others {
		go func() {
			cctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
			defer cancel()
			n.m.replicaReads.Add(1)
			b, err := n.pool.Call(cctx, v.members[r].peer, reqRead, peer.EncodeStrings([]string{key}))
			if err != nil {
				ch <- replicaAnswer{id: r}
				return
			}
			es, err := peer.DecodeEntries(b)
			if err != nil || len(es) != 1 {
				ch <- replicaAnswer{id: r, ok: err == nil}
				return
			}
			ch <- replicaAnswer{id: r, e: es[0].Entry, ok: true}
		}()
	}
	answers := make([]replicaAnswer, 0, len(others))
	for range others {
		answers = append(answers, <-ch)
	}
	return n.newestRead(key, e, ok, answers)
}

// newestRead returns the newest of key's local entry (e, ok) and the
// other replicas' answers (last writer wins by version). It repairs the
// local copy when an answer is newer and gives each replica that
// answered with an older copy (or none) a hint.
func (n *Node) newestRead(key string, e store.Entry, ok bool, answers []replicaAnswer) (store.Entry, bool) {
	best, found := e, ok
	for _, a := range answers {
		if a.ok && !a.e.Version.IsZero() && (!found || a.e.Version.Compare(best.Version) > 0) {
			best, found = a.e, true
		}
	}
	if !found {
		return store.Entry{}, false
	}
	if !ok || best.Version.Compare(e.Version) > 0 {
		n.store.Apply(key, best)
		n.m.readRepairs.Add(1)
	}
	for _, a := range answers {
		if a.ok && a.e.Version.Compare(best.Version) < 0 {
			n.hints.add(a.id, key)
			n.m.readRepairs.Add(1)
		}
	}
	return best, true
}

// pending is a write applied here and still to be sent to the key's
// other replicas.
type pending struct {
	key    string
	e      store.Entry
	v      *view
	others []string
	acks   int // replicas that have it
	need   int // W, capped at the replicas there are
}

// replicate sends pending writes to their other replicas, one request a
// replica (in parallel), and reports for each whether W replicas have
// it. Replicas that missed a write get a hint.
func (n *Node) replicate(ctx context.Context, ws []*pending) []bool {
	out := make([]bool, len(ws))
	remote := false
	for _, w := range ws {
		remote = remote || len(w.others) > 0
	}
	if !remote {
		for i, w := range ws {
			if out[i] = w.acks >= w.need; !out[i] {
				n.m.writeFailures.Add(1)
			}
		}
		return out
	}
	byTarget := groupByTarget(ws)
	send := func(r string, group []*pending) bool {
		m, ok := group[0].v.members[r]
		if !ok {
			return false
		}
		size, count := binary.MaxVarintLen64, 0
		for i, w := range group {
			if !superseded(group, i) {
				size += len(w.key) + len(w.e.Value) + peer.EntryOverhead
				count++
			}
		}
		// Call has copied the request out when it returns: the buffer
		// goes back to the pool.
		bp := applyBufs.Get().(*[]byte)
		b := slices.Grow((*bp)[:0], size)
		b = binary.AppendUvarint(b, uint64(count))
		for i, w := range group {
			if !superseded(group, i) {
				b = peer.AppendEntry(b, w.key, w.e)
			}
		}
		_, err := n.pool.Call(ctx, m.peer, reqApply, b)
		if cap(b) <= maxKeptEnc {
			*bp = b[:0]
			applyBufs.Put(bp)
		}
		return err == nil
	}
	var mu sync.Mutex
	done := func(r string, group []*pending, ok bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range group {
			if ok {
				w.acks++
			} else {
				n.hints.add(r, w.key)
			}
		}
	}
	if len(byTarget) == 1 {
		done(byTarget[0].r, byTarget[0].ws, send(byTarget[0].r, byTarget[0].ws))
	} else {
		var wg sync.WaitGroup
		for _, g := range byTarget {
			wg.Add(1)
			go func() {
				defer wg.Done()
				done(g.r, g.ws, send(g.r, g.ws))
			}()
		}
		wg.Wait()
	}
	for i, w := range ws {
		out[i] = w.acks >= w.need
		if !out[i] {
			n.m.writeFailures.Add(1)
		}
	}
	return out
}

// multi splits MGET, DEL and EXISTS over their keys.
func (n *Node) multi(ctx context.Context, proto int, name string, keys [][]byte) []byte {
	sub := "get"
	if name != "mget" {
		sub = name
	}
	var out []byte
	if name == "mget" {
		out = resp.AppendArray(nil, len(keys))
	}
	var sum int64
	for _, k := range keys {
		r := n.route(ctx, proto, [][]byte{[]byte(sub), k})
		if name == "mget" {
			if r[0] == '-' {
				r = resp.AppendNull(nil, proto)
			}
			out = append(out, r...)
			continue
		}
		if r[0] != ':' {
			return r
		}
		if bytes.Equal(r, []byte(":1\r\n")) {
			sum++
		}
	}
	if name == "mget" {
		return out
	}
	return resp.AppendInt(nil, sum)
}

// mset sets each pair; it is not atomic across keys.
func (n *Node) mset(ctx context.Context, proto int, kv [][]byte) []byte {
	for i := 0; i < len(kv); i += 2 {
		r := n.route(ctx, proto, [][]byte{[]byte("set"), kv[i], kv[i+1]})
		if r[0] == '-' {
			return r
		}
	}
	return resp.OK
}

// superseded reports whether ws[i] goes without sending: the next
// write of the group is of the same key with a newer version. A replica
// that stores that one keeps it over ws[i] whatever the order (last
// writer wins), so once it acknowledges it, it has what ws[i]'s
// acknowledgement promises: the key as new as ws[i] or newer. (A
// pipeline of writes to one key then costs the replica one entry.)
func superseded(ws []*pending, i int) bool {
	return i+1 < len(ws) && ws[i+1].key == ws[i].key && ws[i+1].e.Version.Compare(ws[i].e.Version) > 0
}

// targetGroup is the writes one replica is sent.
type targetGroup struct {
	r  string
	ws []*pending
}

// applyBufs holds the buffers replication requests are encoded in.
var applyBufs = sync.Pool{New: func() any { return new([]byte) }}

// groupByTarget groups writes by the replicas they go to, in order of
// first appearance.
func groupByTarget(ws []*pending) []targetGroup {
	out := make([]targetGroup, 0, 2)
	for _, w := range ws {
	next:
		for _, r := range w.others {
			for i := range out {
				if out[i].r == r {
					out[i].ws = append(out[i].ws, w)
					continue next
				}
			}
			out = append(out, targetGroup{r: r, ws: append(make([]*pending, 0, len(ws)), w)})
		}
	}
	return out
}
