package node

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
)

// fwdInflight bounds the merged forwarding requests in flight to one
// member: the CPUs running this node's Go code (GOMAXPROCS), at most
// maxFwdInflight, read when the member's queue is made. Callers
// arriving while that many are out queue up, and the next request
// carries every queued caller's commands. Fewer requests out means
// larger ones, so fewer messages, wake-ups and system calls per
// command on every member they pass; a node that runs Go code on one
// CPU gains nothing from a second request being served at the owner
// meanwhile.
func fwdInflight() int { return min(runtime.GOMAXPROCS(0), maxFwdInflight) }

// maxFwdInflight is the most merged requests out to one member.
const maxFwdInflight = 4

// fwdMergeBytes bounds the arguments' bytes of the callers merged into
// one request (a caller above it goes alone, as one request).
const fwdMergeBytes = 1 << 20

// forwarder merges the runs of commands that many clients forward to
// the same member at the same time into few requests: with a pipeline
// of 16 from each of 50 clients, or one command each, the owner then
// executes and replicates (and its replicas store) many callers'
// commands in one request instead of one request per caller. The
// owner's reads that must consult other replicas (keys it lacks) go out
// together too, one request per replica (gatherReads), so a merged
// request of many cache misses waits about one round trip for them, not
// one per command.
//
// A caller joins its member's queue. While fewer than fwdInflight()
// merged requests are out, it leads: it takes the queue (itself
// included), sends it as one reqExecBatch, hands each caller its
// replies and, if callers queued meanwhile, passes the lead to the
// first of them. Each caller still waits for its own replies, so the
// order of one client's commands is kept; the owner acknowledges a
// write only once W replicas have it, as for a caller's own request.
// It is safe for concurrent use.
type forwarder struct {
	mu     sync.Mutex
	queues map[string]*fwdQueue // by the member's internal address
}

// fwdQueue is the callers waiting to forward to one member.
type fwdQueue struct {
	mu       sync.Mutex
	waiting  []*fwdCall
	inflight int // merged requests out, each with its leader
	max      int // the most out at once (fwdInflight)
}

// fwdCall is one caller's run of commands and, once answered, its
// replies. A batch holds one (fwdCall.wake is made once, pooled with
// it).
type fwdCall struct {
	proto   int
	cmds    [][][]byte
	size    int      // the arguments' bytes, roughly
	replies [][]byte // replies to a prefix of cmds; alias the answer
	err     error
	led     bool          // under the queue's lock: leads (or is told to), so no other leader takes it
	wake    chan struct{} // capacity 1: answered, or told to lead
}

func (f *forwarder) queue(addr string) *fwdQueue {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queues == nil {
		f.queues = map[string]*fwdQueue{}
	}
	q := f.queues[addr]
	if q == nil {
		q = &fwdQueue{max: fwdInflight()}
		f.queues[addr] = q
	}
	return q
}

// forget drops the queue of a member that left; callers in it are
// answered by their leaders as usual.
func (f *forwarder) forget(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.queues, addr)
}

// call forwards c's commands to the member at addr, merged with other
// callers', and returns when c.replies (or c.err) are set. The owner
// answers a prefix of the merged commands (at least the first), so a
// caller may get fewer replies than commands, or none.
func (f *forwarder) call(ctx context.Context, pool *peer.Pool, addr string, c *fwdCall, enc *[]byte) {
	c.replies, c.err, c.led = c.replies[:0], nil, false
	if c.wake == nil {
		c.wake = make(chan struct{}, 1)
	}
	c.size = 0
	for _, args := range c.cmds {
		for _, a := range args {
			c.size += len(a) + 8
		}
	}
	q := f.queue(addr)
	q.mu.Lock()
	lead := q.inflight < q.max
	if lead {
		q.inflight++
		c.led = true // no other leader takes it
	}
	q.waiting = append(q.waiting, c)
	q.mu.Unlock()
	if !lead {
		<-c.wake
		q.mu.Lock()
		lead = c.led
		q.mu.Unlock()
		if !lead {
			return // answered
		}
	}
	for !q.lead(ctx, pool, addr, c, enc) {
	}
}

// lead sends one merged request for the callers at the head of the
// queue (skipping those told to lead their own), answers them and
// reports whether me was among them. When it was, the lead passes to
// the first caller still waiting, unless a leader is already on its way
// to take them (or none waits): then the request slot is freed.
func (q *fwdQueue) lead(ctx context.Context, pool *peer.Pool, addr string, me *fwdCall, enc *[]byte) bool {
	q.mu.Lock()
	var taken []*fwdCall
	rest := q.waiting[:0]
	size, n, mine := 0, 0, false
	for _, c := range q.waiting {
		if (c.led && c != me) || (len(taken) > 0 && size+c.size > fwdMergeBytes) {
			rest = append(rest, c)
			continue
		}
		c.led = false
		taken = append(taken, c)
		size += c.size
		n += len(c.cmds)
		mine = mine || c == me
	}
	clear(q.waiting[len(rest):])
	q.waiting = rest
	q.mu.Unlock()

	b := binary.AppendUvarint((*enc)[:0], uint64(n))
	for _, c := range taken {
		b = peer.AppendExecItems(b, c.proto, c.cmds)
	}
	*enc = b
	payload, err := pool.Call(ctx, addr, reqExecBatch, b)
	var replies [][]byte
	if err == nil {
		replies, err = peer.DecodeBatch(payload)
		if err == nil && (len(replies) == 0 || len(replies) > n) {
			err = peer.ErrMalformed
		}
	}
	for _, c := range taken {
		if err != nil {
			c.err = err
		} else {
			k := min(len(c.cmds), len(replies))
			c.replies = append(c.replies[:0], replies[:k]...)
			replies = replies[k:]
		}
		if c != me {
			c.wake <- struct{}{}
		}
	}
	if !mine {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range q.waiting {
		if c.led {
			// A leader is on its way and takes the queue.
			q.inflight--
			return true
		}
	}
	if len(q.waiting) > 0 {
		c := q.waiting[0]
		c.led = true
		c.wake <- struct{}{}
		return true
	}
	q.inflight--
	return true
}
