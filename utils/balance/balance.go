package balance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Errors returned by this package. Callers test them with [errors.Is].
var (
	// ErrNoMembers is returned when picking from an empty slice.
	ErrNoMembers = errors.New("balance: no members")
	// ErrInvalidLoad is returned for a negative, NaN or infinite load.
	ErrInvalidLoad = errors.New("balance: invalid load")
	// ErrInvalidWeight is returned for a negative, NaN or infinite weight,
	// or weights whose sum overflows.
	ErrInvalidWeight = errors.New("balance: invalid weight")
	// ErrNilSource is returned by New for a nil random source.
	ErrNilSource = errors.New("balance: nil random source")
)

// Member is a candidate for work.
type Member struct {
	// ID identifies the member; it is not interpreted.
	ID string
	// Load is the member's reported load in any unit the caller chooses
	// (queue length, in-flight requests, CPU share), the same for all
	// members. It must be finite and non-negative.
	Load float64
	// Weight is the member's capacity relative to others. Zero means 1;
	// it must be finite and non-negative.
	Weight float64
}

// weight returns the effective weight, or an error.
func (m Member) weight() (float64, error) {
	w := m.Weight
	if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
		return 0, fmt.Errorf("%w: member %q weight %v", ErrInvalidWeight, m.ID, w)
	}
	if w == 0 {
		return 1, nil
	}
	return w, nil
}

// relLoad returns Load/Weight, or an error for an invalid load or weight.
func (m Member) relLoad() (float64, error) {
	if m.Load < 0 || math.IsNaN(m.Load) || math.IsInf(m.Load, 0) {
		return 0, fmt.Errorf("%w: member %q load %v", ErrInvalidLoad, m.ID, m.Load)
	}
	w, err := m.weight()
	if err != nil {
		return 0, err
	}
	return m.Load / w, nil
}

// Balancer picks members at random with an injected source. It is safe for
// concurrent use: the source is guarded by a mutex.
type Balancer struct {
	mu  sync.Mutex
	rng *rand.Rand
}

// New returns a Balancer drawing from src, for example
// rand.NewPCG(seed1, seed2) for reproducible picks. It returns ErrNilSource
// if src is nil. The Balancer owns src from then on: do not use it elsewhere.
func New(src rand.Source) (*Balancer, error) {
	if src == nil {
		return nil, ErrNilSource
	}
	return &Balancer{rng: rand.New(src)}, nil
}

// PowerOfTwo samples two distinct members uniformly at random and returns
// the one with the lower load per unit of weight (the first sampled on a
// tie). With one member it returns that member. It validates only the two
// sampled members, so it costs O(1) however many members there are. It
// returns ErrNoMembers, or an error wrapping ErrInvalidLoad or
// ErrInvalidWeight.
func (b *Balancer) PowerOfTwo(members []Member) (Member, error) {
	n := len(members)
	if n == 0 {
		return Member{}, ErrNoMembers
	}
	if n == 1 {
		_, err := members[0].relLoad()
		return members[0], err
	}
	b.mu.Lock()
	i := b.rng.IntN(n)
	j := b.rng.IntN(n - 1)
	b.mu.Unlock()
	if j >= i {
		j++
	}
	li, err := members[i].relLoad()
	if err != nil {
		return Member{}, err
	}
	lj, err := members[j].relLoad()
	if err != nil {
		return Member{}, err
	}
	if lj < li {
		return members[j], nil
	}
	return members[i], nil
}

// WeightedRandom returns a member chosen with probability proportional to
// its Weight (zero counts as 1); loads are ignored. It returns ErrNoMembers,
// or an error wrapping ErrInvalidWeight if a weight is invalid or the sum is
// not finite.
func (b *Balancer) WeightedRandom(members []Member) (Member, error) {
	if len(members) == 0 {
		return Member{}, ErrNoMembers
	}
	var sum float64
	for _, m := range members {
		w, err := m.weight()
		if err != nil {
			return Member{}, err
		}
		sum += w
	}
	if math.IsInf(sum, 0) {
		return Member{}, fmt.Errorf("%w: weights sum to %v", ErrInvalidWeight, sum)
	}
	b.mu.Lock()
	r := b.rng.Float64() * sum
	b.mu.Unlock()
	last := len(members) - 1
	for _, m := range members[:last] {
		w, _ := m.weight()
		if r < w {
			return m, nil
		}
		r -= w
	}
	return members[last], nil // also where rounding leaves r at the sum
}

// LeastLoaded returns the member with the least load per unit of weight,
// the first in slice order on a tie. It returns ErrNoMembers, or an error
// wrapping ErrInvalidLoad or ErrInvalidWeight for any invalid member. It is
// deterministic and safe for concurrent use; with stale load reports prefer
// PowerOfTwo, which does not send every caller to the same member.
func LeastLoaded(members []Member) (Member, error) {
	if len(members) == 0 {
		return Member{}, ErrNoMembers
	}
	best, bestLoad := 0, math.Inf(1)
	for i, m := range members {
		l, err := m.relLoad()
		if err != nil {
			return Member{}, err
		}
		if l < bestLoad {
			best, bestLoad = i, l
		}
	}
	return members[best], nil
}
