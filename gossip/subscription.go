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
// goroutine, which ends with the subscription (Close or Shutdown).
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

	c       chan Event
	opts    subOptions
	owner   *subscriptions
	dropped atomic.Uint64

	mu     sync.Mutex
	closed bool          // no more events are accepted
	err    error         // why a lossless subscription was closed
	queue  []Event       // lossless: events waiting for room in c
	wake   chan struct{} // lossless: the pump has work (capacity 1)
	quit   chan struct{} // lossless: closed by Close, the pump stops
	ended  chan struct{} // closed when C is closed
}

// Subscribe returns a subscription whose channel buffers buffer events
// (256 when buffer <= 0). Subscribing to a Node that has been shut down
// returns a subscription whose C is already closed.
func (n *Node) Subscribe(buffer int, opts ...SubscribeOption) *Subscription {
	if buffer <= 0 {
		buffer = 256
	}
	var o subOptions
	for _, opt := range opts {
		opt(&o)
	}
	ch := make(chan Event, buffer)
	s := &Subscription{C: ch, c: ch, opts: o, owner: &n.subs, ended: make(chan struct{})}
	if o.lossless {
		s.wake = make(chan struct{}, 1)
		s.quit = make(chan struct{})
	}
	if !n.subs.add(s, n.currentState() == stateShutdown) {
		s.closed = true
		close(s.c)
		close(s.ended)
		return s
	}
	if o.lossless {
		n.subs.wg.Add(1)
		go s.pump()
	}
	return s
}

// Dropped returns the number of events this subscription lost: because
// its buffer was full (default mode) or after it was closed for falling
// behind (lossless mode).
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Err returns ErrSubscriberTooSlow once a lossless subscription has been
// closed for falling behind, and nil otherwise.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and closes C; events still queued are
// discarded. Close after Close is a no-op.
func (s *Subscription) Close() {
	s.owner.remove(s)
	s.shut(nil)
	<-s.ended
}

// shut stops accepting events and closes C (at once, or, for a lossless
// subscription closed for falling behind, after the pump has delivered
// the queue).
func (s *Subscription) shut(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if err == nil && s.quit != nil {
			s.stopPump()
		}
		return
	}
	s.closed = true
	s.err = err
	if s.quit == nil {
		close(s.c)
		close(s.ended)
		return
	}
	if err == nil {
		s.stopPump()
	} else {
		s.signal()
	}
}

func (s *Subscription) stopPump() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
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
	if !s.opts.lossless {
		select {
		case s.c <- e:
		default:
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
	if len(s.queue) >= s.opts.limit {
		s.dropped.Add(1)
		s.closed = true
		s.err = ErrSubscriberTooSlow
		s.signal()
		return
	}
	s.queue = append(s.queue, e)
	s.signal()
}

// pump moves a lossless subscription's queue into C. The event being
// sent stays at the head of the queue until C takes it, so the queue's
// length is what deliver checks against the limit.
func (s *Subscription) pump() {
	defer s.owner.wg.Done()
	defer close(s.ended)
	defer close(s.c)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			failed := s.closed && s.err != nil
			s.mu.Unlock()
			if failed {
				s.owner.remove(s)
				return
			}
			select {
			case <-s.wake:
			case <-s.quit:
				return
			}
			continue
		}
		e := s.queue[0]
		s.mu.Unlock()
		select {
		case s.c <- e:
		case <-s.quit:
			return
		}
		s.mu.Lock()
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
	}
}

// subscriptions is a Node's set of subscribers.
type subscriptions struct {
	mu   sync.Mutex
	subs []*Subscription
	done bool           // closeAll was called: no new subscribers
	wg   sync.WaitGroup // lossless pumps
}

// add registers s unless the Node is (being) shut down.
func (ss *subscriptions) add(s *Subscription, shutdown bool) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.done || shutdown {
		return false
	}
	ss.subs = append(ss.subs, s)
	return true
}

func (ss *subscriptions) remove(s *Subscription) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for i, x := range ss.subs {
		if x == s {
			ss.subs = append(ss.subs[:i:i], ss.subs[i+1:]...)
			return
		}
	}
}

// publish hands e to every subscriber without blocking.
func (ss *subscriptions) publish(e Event) {
	ss.mu.Lock()
	subs := ss.subs
	ss.mu.Unlock()
	for _, s := range subs {
		s.deliver(e)
	}
}

// closeAll closes every subscription and waits for the lossless pumps.
func (ss *subscriptions) closeAll() {
	ss.mu.Lock()
	subs := ss.subs
	ss.subs = nil
	ss.done = true
	ss.mu.Unlock()
	for _, s := range subs {
		s.shut(nil)
	}
	ss.wg.Wait()
}
