package gossip

import (
	"sync"
	"sync/atomic"
)

// SubscribeOption configures a Subscription.
type SubscribeOption func(*subOptions)

type subOptions struct {
	lossless bool
	limit    int
}

// Lossless makes a subscription lose nothing while its reader keeps up
// within a bound: events the channel cannot take at once wait in a queue
// of up to limit events (DefaultLosslessLimit, 65,536, when limit <= 0),
// so the protocol still never blocks. When the queue is full the
// subscription is closed: C delivers what was queued, then closes, and
// Err returns ErrSubscriberTooSlow. A lossless subscription runs one
// goroutine while events wait in its queue; it ends when the queue is
// empty, and with the subscription (Close or Shutdown).
func Lossless(limit int) SubscribeOption {
	return func(o *subOptions) {
		o.lossless = true
		o.limit = limit
		if limit <= 0 {
			o.limit = DefaultLosslessLimit
		}
	}
}

// Subscription receives a Node's events on C, in order. In the default
// mode an event that finds the buffer full is dropped (counted by
// Dropped) rather than blocking the protocol; see Lossless for the other
// mode. All methods are safe for concurrent use.
type Subscription struct {
	// C delivers events. It is closed by Close, by Shutdown, and when a
	// lossless subscription falls too far behind.
	C <-chan Event

	c        chan Event
	lossless bool
	limit    int // most events queue may hold
	owner    *subscriptions
	dropped  atomic.Uint64

	mu       sync.Mutex
	closed   bool          // no more events are accepted
	stopped  bool          // Close or Shutdown: queued events are discarded
	finished bool          // c and ended are closed
	pumping  bool          // a pump goroutine runs; it closes c once closed
	err      error         // why a lossless subscription was closed
	queue    []Event       // events waiting for room in c, in order
	quit     chan struct{} // closed by Close or Shutdown to stop the pump
	ended    chan struct{} // closed when C is closed
}

// Subscribe returns a subscription that holds up to buffer events its
// reader has not taken yet (DefaultSubscribeBuffer, 256, when buffer <=
// 0); the event that finds buffer events waiting is dropped and counted
// by Dropped. The memory for the buffer is taken as events wait and
// given back when the reader catches up: C itself buffers at most
// SubscribeChannelBuffer (16) events, and the rest wait in a queue that a
// goroutine, running only while the queue is not empty, moves into C in
// order. With Lossless, C buffers buffer events (256 when buffer <= 0)
// and the queue holds up to Lossless's limit. Subscribing to a Node that
// has been shut down returns a subscription whose C is already closed.
func (n *Node) Subscribe(buffer int, opts ...SubscribeOption) *Subscription {
	if buffer <= 0 {
		buffer = DefaultSubscribeBuffer
	}
	var o subOptions
	for _, opt := range opts {
		opt(&o)
	}
	size, limit := buffer, o.limit
	if !o.lossless {
		size = min(buffer, SubscribeChannelBuffer)
		limit = buffer - size
	}
	ch := make(chan Event, size)
	s := &Subscription{C: ch, c: ch, lossless: o.lossless, limit: limit, owner: &n.subs, ended: make(chan struct{})}
	if !n.subs.add(s, n.currentState() == stateShutdown) {
		s.closed, s.stopped = true, true
		s.finish()
	}
	return s
}

// Dropped returns the number of events this subscription lost: because
// its buffer was full (default mode), after it was closed for falling
// behind (lossless mode), or because Close or Shutdown discarded them
// from its queue before they reached C.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Err returns ErrSubscriberTooSlow once a lossless subscription has been
// closed for falling behind, and nil otherwise.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and closes C. Events already in C can
// still be read; events still queued behind it are discarded (and
// counted by Dropped). Close after Close is a no-op.
func (s *Subscription) Close() {
	s.owner.remove(s)
	s.shut()
	<-s.ended
}

// shut stops accepting events, discards the queue and closes C (at once,
// or through the pump when one runs).
func (s *Subscription) shut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.closed, s.stopped = true, true
	if s.pumping {
		close(s.quit)
		return
	}
	s.finish()
}

// finish closes c and ended once; s.mu is held or s is not shared yet.
func (s *Subscription) finish() {
	if s.finished {
		return
	}
	s.finished = true
	close(s.c)
	close(s.ended)
}

// deliver hands e to the subscription without blocking.
func (s *Subscription) deliver(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if s.err != nil {
			s.dropped.Add(1)
		}
		return
	}
	if len(s.queue) == 0 {
		select {
		case s.c <- e:
			return
		default:
		}
	}
	if len(s.queue) >= s.limit {
		s.dropped.Add(1)
		if s.lossless {
			s.closed = true
			s.err = ErrSubscriberTooSlow
			s.startPump() // delivers the queue, then closes C
		}
		return
	}
	s.queue = append(s.queue, e)
	s.startPump()
}

// startPump starts the pump unless it runs; s.mu is held and s is not
// stopped, so the Node's Shutdown waits for it.
func (s *Subscription) startPump() {
	if s.pumping {
		return
	}
	if s.quit == nil {
		s.quit = make(chan struct{})
	}
	s.pumping = true
	s.owner.wg.Add(1)
	go s.pump(s.quit)
}

// pump moves the queue into C, in order, until the queue is empty; it
// closes C when the subscription was stopped or, for a lossless
// subscription that fell behind, once the queue is delivered. The event
// being sent stays at the head of the queue until C takes it, so the
// queue's length is what deliver checks against the limit.
func (s *Subscription) pump(quit <-chan struct{}) {
	defer s.owner.wg.Done()
	for {
		s.mu.Lock()
		if s.stopped || (s.closed && len(s.queue) == 0) {
			failed := !s.stopped
			s.dropped.Add(uint64(len(s.queue)))
			s.queue = nil
			s.pumping = false
			s.finish()
			s.mu.Unlock()
			if failed {
				s.owner.remove(s)
			}
			return
		}
		if len(s.queue) == 0 {
			s.queue = nil // the reader caught up: give the memory back
			s.pumping = false
			s.mu.Unlock()
			return
		}
		e := s.queue[0]
		s.mu.Unlock()
		select {
		case s.c <- e:
			s.mu.Lock()
			s.queue[0] = Event{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
		case <-quit:
		}
	}
}
