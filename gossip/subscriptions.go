package gossip

import "sync"

// subscriptions is a Node's set of subscribers.
type subscriptions struct {
	mu   sync.Mutex
	subs []*Subscription
	done bool           // closeAll was called: no new subscribers
	wg   sync.WaitGroup // running pumps
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

// closeAll closes every subscription and waits for the pumps.
func (ss *subscriptions) closeAll() {
	ss.mu.Lock()
	subs := ss.subs
	ss.subs = nil
	ss.done = true
	ss.mu.Unlock()
	for _, s := range subs {
		s.shut()
	}
	ss.wg.Wait()
}
