package bench

import (
	"context"
	"sync"
	"time"
)

// recorder collects every member's events and keeps, per observer, which
// members it currently counts as in the cluster. It is safe for concurrent
// use; observe never blocks for long.
type recorder struct {
	mu     sync.Mutex
	index  map[string]int
	events []Event
	member [][]bool    // [observer][subject]
	count  []int       // members each observer counts, itself excluded
	last   []time.Time // when each observer's view last changed
}

func newRecorder(ids []string) *recorder {
	r := &recorder{index: make(map[string]int, len(ids)), member: make([][]bool, len(ids)), count: make([]int, len(ids)), last: make([]time.Time, len(ids))}
	for i, id := range ids {
		r.index[id] = i
		r.member[i] = make([]bool, len(ids))
	}
	return r
}

func (r *recorder) observe(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	o, ok1 := r.index[e.Observer]
	s, ok2 := r.index[e.Subject]
	if !ok1 || !ok2 || o == s {
		return
	}
	in := e.Type == Join || e.Type == Update || e.Type == Suspect
	if e.Type == Suspect && !r.member[o][s] {
		in = false // a suspicion does not make a stranger a member
	}
	if in != r.member[o][s] {
		r.member[o][s] = in
		r.last[o] = e.Time
		if in {
			r.count[o]++
		} else {
			r.count[o]--
		}
	}
}

// forget drops the event log (not the views), so that the log does not
// weigh on heap figures and later phases scan less.
func (r *recorder) forget() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// complete reports, for each observer in obs, whether it counts exactly the
// members in want (by index) and no other, and when its view last changed.
func (r *recorder) complete(obs []int, want []bool) ([]bool, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, w := range want {
		if w {
			n++
		}
	}
	out := make([]bool, len(obs))
	at := make([]time.Time, len(obs))
	for k, o := range obs {
		at[k] = r.last[o]
		c := n
		if want[o] {
			c-- // itself
		}
		if r.count[o] != c {
			continue
		}
		ok := true
		for s, w := range want {
			if s != o && w && !r.member[o][s] {
				ok = false
				break
			}
		}
		out[k] = ok
	}
	return out, at
}

// first returns, for each observer in obs, the time of its first event
// after t that match accepts (zero if none).
func (r *recorder) first(obs []string, t time.Time, match func(Event) bool) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	pos := make(map[string]int, len(obs))
	for i, o := range obs {
		pos[o] = i
	}
	out := make([]time.Time, len(obs))
	for _, e := range r.events {
		if e.Time.Before(t) || !match(e) {
			continue
		}
		if i, ok := pos[e.Observer]; ok && (out[i].IsZero() || e.Time.Before(out[i])) {
			out[i] = e.Time
		}
	}
	return out
}

// count returns the number of events after t that match accepts.
func (r *recorder) countEvents(t time.Time, match func(Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if !e.Time.Before(t) && match(e) {
			n++
		}
	}
	return n
}

// pollInterval is how often waitFor checks its condition.
const pollInterval = 20 * time.Millisecond

// waitFor polls cond until it holds, ctx ends or limit passes, and
// reports whether it held.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
}

// pause waits for d (a measurement window, not a condition) or ctx.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
