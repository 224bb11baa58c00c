package hashring

import (
	"fmt"
	"maps"
	"math"
	"sync"
)

// DefaultEpsilon is the load slack used when BoundedConfig.Epsilon is zero.
const DefaultEpsilon = 0.25

// BoundedConfig configures a [Bounded]. It is passed by value; the zero value
// is valid and means the documented defaults.
type BoundedConfig struct {
	// Ring configures the underlying ring (virtual nodes).
	Ring Config
	// Epsilon is the allowed imbalance ε: no member is assigned more than
	// ceil((1+ε)·m/M) of the m assigned keys over M members. Smaller values
	// balance better and move more keys on change. Zero means
	// DefaultEpsilon (0.25); it must be positive and finite.
	Epsilon float64
}

// Bounded is consistent hashing with bounded loads (Mirrokni, Thorup and
// Zadimoghaddam, "Consistent Hashing with Bounded Loads", SODA 2018). It
// tracks how many keys each member currently holds. Assign places a key on
// the first member clockwise from the key's position whose load, counting
// the new key, stays within
//
//	ceil((1+ε) · (m+1) / M)
//
// where m is the number of keys already assigned and M the number of members.
// Hence after every Assign no member holds more than ceil((1+ε)·average).
// Release lowers a member's load when its key goes away. Members are
// unweighted: every member has the same capacity.
//
// All methods are safe for concurrent use; they are serialized by a mutex.
type Bounded struct {
	cfg   BoundedConfig
	mu    sync.Mutex
	tab   *table
	loads map[string]int
	total int
}

// NewBounded returns an empty bounded-load ring, or an error wrapping
// ErrInvalidConfig.
func NewBounded(cfg BoundedConfig) (*Bounded, error) {
	rc, err := cfg.Ring.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.Ring = rc
	if cfg.Epsilon == 0 {
		cfg.Epsilon = DefaultEpsilon
	}
	if !(cfg.Epsilon > 0) || math.IsInf(cfg.Epsilon, 0) {
		return nil, fmt.Errorf("%w: Epsilon %v must be positive and finite", ErrInvalidConfig, cfg.Epsilon)
	}
	return &Bounded{cfg: cfg, tab: emptyTable, loads: map[string]int{}}, nil
}

// Add adds a member with no load. It returns ErrEmptyID or
// ErrDuplicateMember on bad input.
func (b *Bounded) Add(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.tab.with(id, 1, b.cfg.Ring.VirtualNodes)
	if err != nil {
		return err
	}
	b.tab = t
	b.loads[id] = 0
	return nil
}

// Remove removes a member and forgets its load; the caller reassigns its keys
// (with Assign) if they must live on. It returns ErrUnknownMember if absent.
func (b *Bounded) Remove(id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, err := b.tab.without(id)
	if err != nil {
		return err
	}
	b.tab = t
	b.total -= b.loads[id]
	delete(b.loads, id)
	return nil
}

// capacity is the bound for the next assignment. Callers hold b.mu.
//
// x = (1+ε)(m+1)/M is computed in floating point, where 1.1·90/11 comes out
// as 9.000000000000002; a result within a relative 1e-9 above an integer is
// taken as that integer, so the bound is the mathematical ceiling.
func (b *Bounded) capacity() int {
	x := (1 + b.cfg.Epsilon) * float64(b.total+1) / float64(len(b.loads))
	c := math.Ceil(x)
	if x-(c-1) <= 1e-9*x {
		c--
	}
	return max(1, int(c))
}

// Assign places key on a member, raises that member's load by one and
// returns it. It returns ErrNoMembers on an empty ring. The same key may be
// placed on a different member at a different time, as loads change; callers
// that need stickiness remember the answer until they Release it.
func (b *Bounded) Assign(key string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.tab
	if len(t.points) == 0 {
		return "", ErrNoMembers
	}
	c := b.capacity()
	start := t.search(HashKey(key))
	// The sum of capacities is at least (1+ε)(m+1) > m, so some member is
	// below capacity and the walk ends within one turn.
	for k := range len(t.points) {
		m := t.points[(start+k)%len(t.points)].member
		if b.loads[m] < c {
			b.loads[m]++
			b.total++
			return m, nil
		}
	}
	panic("hashring: bounded walk found no member below capacity") // unreachable
}

// Release lowers the load of member by one, when a key assigned to it goes
// away. It returns ErrUnknownMember if member is absent and ErrNotAssigned if
// its load is already zero.
func (b *Bounded) Release(member string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.loads[member]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q", ErrUnknownMember, member)
	case l == 0:
		return fmt.Errorf("%w: %q", ErrNotAssigned, member)
	}
	b.loads[member] = l - 1
	b.total--
	return nil
}

// Load returns the number of keys currently assigned to member (0 if absent).
func (b *Bounded) Load(member string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.loads[member]
}

// Loads returns a copy of every member's load. The caller owns the map.
func (b *Bounded) Loads() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.loads)
}

// Bound returns the most keys a member may hold after the next Assign,
// ceil((1+ε)·(m+1)/M), or 0 if there are no members.
func (b *Bounded) Bound() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.loads) == 0 {
		return 0
	}
	return b.capacity()
}

// Members returns the member IDs in ascending order. The caller owns the
// returned slice.
func (b *Bounded) Members() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tab.members()
}
