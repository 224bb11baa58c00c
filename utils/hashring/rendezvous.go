package hashring

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// rmember is one member of a Rendezvous set.
type rmember struct {
	id     string
	hash   uint64
	weight float64
}

// rset is an immutable snapshot of a Rendezvous member set, sorted by id.
type rset struct {
	members  []rmember
	weighted bool // some weight differs from the others
}

// Rendezvous is highest random weight hashing (Thaler and Ravishankar, 1998).
// Each member scores each key with a hash of both; the member with the
// highest score owns the key. Removing a member moves only its keys, spread
// evenly over the others; adding one moves to it a 1/M share. Lookups cost
// O(M) for M members and need no virtual nodes.
//
// With weights, a member's score is -weight/ln(u) for the member's uniform
// hash u in (0,1) (the logarithmic method of Schindelhauer and Schomaker), so
// its share of keys is proportional to its weight. When all weights are
// equal the score is the 64-bit hash itself, compared exactly.
//
// All methods are safe for concurrent use; lookups never block (copy-on-write
// snapshot behind an atomic pointer).
type Rendezvous struct {
	mu  sync.Mutex // serializes writers
	cur atomic.Pointer[rset]
}

// NewRendezvous returns an empty set. It has no configuration.
func NewRendezvous() *Rendezvous {
	r := &Rendezvous{}
	r.cur.Store(&rset{})
	return r
}

// Add adds a member of weight 1. It returns ErrEmptyID or
// ErrDuplicateMember on bad input.
func (r *Rendezvous) Add(id string) error { return r.AddWeighted(id, 1) }

// AddWeighted adds a member whose expected share of keys is proportional to
// weight. Weight zero means 1; negative, NaN or infinite weights return
// ErrInvalidWeight.
func (r *Rendezvous) AddWeighted(id string, weight float64) error {
	if err := checkID(id); err != nil {
		return err
	}
	w, err := checkWeight(weight)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.cur.Load().members
	i, found := slices.BinarySearchFunc(old, id, func(m rmember, id string) int { return cmp.Compare(m.id, id) })
	if found {
		return fmt.Errorf("%w: %q", ErrDuplicateMember, id)
	}
	ms := slices.Insert(slices.Clone(old), i, rmember{id: id, hash: HashKey(id), weight: w})
	r.cur.Store(newRset(ms))
	return nil
}

func newRset(ms []rmember) *rset {
	s := &rset{members: ms}
	for _, m := range ms {
		if m.weight != ms[0].weight {
			s.weighted = true
			break
		}
	}
	return s
}

// Remove removes a member. It returns ErrUnknownMember if id is absent.
func (r *Rendezvous) Remove(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.cur.Load().members
	i, found := slices.BinarySearchFunc(old, id, func(m rmember, id string) int { return cmp.Compare(m.id, id) })
	if !found {
		return fmt.Errorf("%w: %q", ErrUnknownMember, id)
	}
	r.cur.Store(newRset(slices.Delete(slices.Clone(old), i, i+1)))
	return nil
}

// score returns the member's score for a key hash: the raw mixed hash, and
// for weighted sets the logarithmic-method score. Only comparable within one
// rset, with better.
func (s *rset) score(m rmember, kh uint64) (uint64, float64) {
	h := mix(kh ^ m.hash)
	if !s.weighted {
		return h, 0
	}
	u := (float64(h>>11) + 0.5) / (1 << 53) // uniform in (0,1)
	return h, -m.weight / math.Log(u)
}

// better reports whether (h1, f1) beats (h2, f2); ties (vanishingly rare)
// go to the raw hash, then to the caller's order (lower id).
func (s *rset) better(h1 uint64, f1 float64, h2 uint64, f2 float64) bool {
	if s.weighted && f1 != f2 {
		return f1 > f2
	}
	return h1 > h2
}

// Get returns the member with the highest score for key, or ErrNoMembers.
// It does not allocate.
func (r *Rendezvous) Get(key string) (string, error) {
	s := r.cur.Load()
	if len(s.members) == 0 {
		return "", ErrNoMembers
	}
	kh := HashKey(key)
	best := 0
	bh, bf := s.score(s.members[0], kh)
	for i := 1; i < len(s.members); i++ {
		h, f := s.score(s.members[i], kh)
		if s.better(h, f, bh, bf) {
			best, bh, bf = i, h, f
		}
	}
	return s.members[best].id, nil
}

// GetN returns the n members with the highest scores for key, best first
// (all members if there are fewer than n). The first is Get(key). The caller
// owns the returned slice. It returns ErrInvalidCount for n < 1 and
// ErrNoMembers if the set is empty.
func (r *Rendezvous) GetN(key string, n int) ([]string, error) {
	if n < 1 {
		return nil, ErrInvalidCount
	}
	s := r.cur.Load()
	if len(s.members) == 0 {
		return nil, ErrNoMembers
	}
	type scored struct {
		i int
		h uint64
		f float64
	}
	kh := HashKey(key)
	all := make([]scored, len(s.members))
	for i, m := range s.members {
		h, f := s.score(m, kh)
		all[i] = scored{i, h, f}
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		switch {
		case s.better(a.h, a.f, b.h, b.f):
			return -1
		case s.better(b.h, b.f, a.h, a.f):
			return 1
		}
		return 0
	})
	n = min(n, len(all))
	out := make([]string, n)
	for k := range n {
		out[k] = s.members[all[k].i].id
	}
	return out, nil
}

// Members returns the member IDs in ascending order. The caller owns the
// returned slice.
func (r *Rendezvous) Members() []string {
	ms := r.cur.Load().members
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.id
	}
	return ids
}

// Len returns the number of members.
func (r *Rendezvous) Len() int { return len(r.cur.Load().members) }
