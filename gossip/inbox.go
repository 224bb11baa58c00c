package gossip

import "sync"

// inboxMin is the capacity an empty inbox shrinks back to: a steady
// cluster delivers a packet or two at a time, so the full bound is only
// allocated while a burst lasts.
const inboxMin = 8

// inbox is the bounded queue of received packets on their way to the
// protocol goroutine. Unlike a buffered channel of the same bound, its
// ring grows with a burst and shrinks back when drained, so an idle Node
// does not hold inboundQueue slots, and the protocol goroutine takes
// everything queued with one wake-up. Safe for concurrent use.
type inbox struct {
	mu   sync.Mutex
	ring []input // len(ring) is the capacity; entries from head, n of them
	head int
	n    int
	max  int
	wake chan struct{} // holds a token while the inbox is not empty
}

func newInbox(max int) *inbox {
	return &inbox{max: max, wake: make(chan struct{}, 1)}
}

// put queues in; it reports false, queueing nothing, when max inputs are
// already waiting. It never blocks.
func (q *inbox) put(in input) bool {
	q.mu.Lock()
	if q.n >= q.max {
		q.mu.Unlock()
		return false
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = in
	q.n++
	first := q.n == 1
	q.mu.Unlock()
	if first {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// grow doubles the ring (at least inboxMin, at most max), keeping order.
// q.mu must be held.
func (q *inbox) grow() {
	ring := make([]input, min(max(2*len(q.ring), inboxMin), q.max))
	for i := range q.n {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// take appends every queued input to dst, oldest first, and empties the
// inbox, shrinking a ring a burst grew. The caller owns the returned slice.
func (q *inbox) take(dst []input) []input {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.n {
		j := (q.head + i) % len(q.ring)
		dst = append(dst, q.ring[j])
		q.ring[j] = input{}
	}
	q.head, q.n = 0, 0
	if len(q.ring) > inboxMin {
		q.ring = nil
	}
	return dst
}
