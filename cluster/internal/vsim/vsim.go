// Package vsim is a small seeded discrete-event loop in virtual time for
// the cluster services' simulations: pure state machines (kv stores,
// rejoin machines, gossip cores) are driven by events scheduled on it, and
// the same seed replays the same run. It is not safe for concurrent use.
package vsim

import (
	"container/heap"
	"math/rand/v2"
	"time"
)

// Sim is the event loop. Now is the virtual time of the event being run.
type Sim struct {
	Now  time.Time
	Rand *rand.Rand
	q    queue
	seq  uint64
}

// Epoch is the virtual time a Sim starts at.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// New returns a Sim at Epoch whose randomness comes from seed.
func New(seed uint64) *Sim {
	return &Sim{Now: Epoch, Rand: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// At schedules fn at t (or now, if t is in the past). Events at the same
// time run in the order they were scheduled.
func (s *Sim) At(t time.Time, fn func()) {
	if t.Before(s.Now) {
		t = s.Now
	}
	s.seq++
	heap.Push(&s.q, event{at: t, seq: s.seq, fn: fn})
}

// After schedules fn d after Now.
func (s *Sim) After(d time.Duration, fn func()) { s.At(s.Now.Add(d), fn) }

// Every runs fn every d from Now+d, with up to jitter added to each gap,
// until fn returns false.
func (s *Sim) Every(d, jitter time.Duration, fn func() bool) {
	var next func()
	next = func() {
		if fn() {
			s.After(d+s.jitter(jitter), next)
		}
	}
	s.After(d+s.jitter(jitter), next)
}

func (s *Sim) jitter(j time.Duration) time.Duration {
	if j <= 0 {
		return 0
	}
	return time.Duration(s.Rand.Int64N(int64(j)))
}

// Chance reports true with probability p.
func (s *Sim) Chance(p float64) bool { return p > 0 && s.Rand.Float64() < p }

// RunUntil runs every event scheduled before or at t, in time order, and
// leaves Now at t.
func (s *Sim) RunUntil(t time.Time) {
	for len(s.q) > 0 && !s.q[0].at.After(t) {
		e := heap.Pop(&s.q).(event)
		s.Now = e.at
		e.fn()
	}
	if s.Now.Before(t) {
		s.Now = t
	}
}

// RunFor runs the events of the next d.
func (s *Sim) RunFor(d time.Duration) { s.RunUntil(s.Now.Add(d)) }

// Pending returns the number of scheduled events.
func (s *Sim) Pending() int { return len(s.q) }

type event struct {
	at  time.Time
	seq uint64
	fn  func()
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
