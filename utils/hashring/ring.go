package hashring

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Config configures a [Ring] or the ring under a [Bounded]. It is passed by
// value; the zero value is valid and means the documented defaults.
type Config struct {
	// VirtualNodes is the number of points a member of weight 1 takes on
	// the ring. More points spread keys more evenly (the standard deviation
	// of keys per member falls roughly as 1/sqrt(VirtualNodes)) at the cost
	// of memory (16 bytes plus the ID header per point) and slower changes.
	// Zero means DefaultVirtualNodes (100). Negative is an error.
	VirtualNodes int
}

func (c Config) withDefaults() (Config, error) {
	if c.VirtualNodes < 0 {
		return c, fmt.Errorf("%w: VirtualNodes %d is negative", ErrInvalidConfig, c.VirtualNodes)
	}
	if c.VirtualNodes == 0 {
		c.VirtualNodes = DefaultVirtualNodes
	}
	if c.VirtualNodes > MaxVirtualNodes {
		return c, fmt.Errorf("%w: VirtualNodes %d above %d", ErrInvalidConfig, c.VirtualNodes, MaxVirtualNodes)
	}
	return c, nil
}

// point is one virtual node.
type point struct {
	hash   uint64
	member string
}

func comparePoints(a, b point) int {
	if c := cmp.Compare(a.hash, b.hash); c != 0 {
		return c
	}
	return cmp.Compare(a.member, b.member)
}

// table is an immutable snapshot of a ring: points sorted by (hash, member)
// and the members with their weights.
type table struct {
	points  []point
	weights map[string]float64
}

var emptyTable = &table{weights: map[string]float64{}}

// vnodeCount is the number of virtual nodes of a member of weight w.
func vnodeCount(vnodes int, w float64) (int, error) {
	n := math.Round(float64(vnodes) * w)
	if n > MaxVirtualNodes {
		return 0, fmt.Errorf("%w: weight %v needs %v virtual nodes, above %d", ErrInvalidWeight, w, n, MaxVirtualNodes)
	}
	return max(1, int(n)), nil
}

// with returns a new table with id added at weight w (already validated).
func (t *table) with(id string, w float64, vnodes int) (*table, error) {
	if _, ok := t.weights[id]; ok {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateMember, id)
	}
	n, err := vnodeCount(vnodes, w)
	if err != nil {
		return nil, err
	}
	hashes := vnodeHashes(make([]uint64, 0, n), id, n)
	add := make([]point, n)
	for i, h := range hashes {
		add[i] = point{hash: h, member: id}
	}
	slices.SortFunc(add, comparePoints)
	// Merge two sorted slices.
	points := make([]point, 0, len(t.points)+n)
	i, j := 0, 0
	for i < len(t.points) && j < len(add) {
		if comparePoints(t.points[i], add[j]) <= 0 {
			points = append(points, t.points[i])
			i++
		} else {
			points = append(points, add[j])
			j++
		}
	}
	points = append(points, t.points[i:]...)
	points = append(points, add[j:]...)
	weights := make(map[string]float64, len(t.weights)+1)
	for k, v := range t.weights {
		weights[k] = v
	}
	weights[id] = w
	return &table{points: points, weights: weights}, nil
}

// without returns a new table with id removed.
func (t *table) without(id string) (*table, error) {
	if _, ok := t.weights[id]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMember, id)
	}
	points := make([]point, 0, len(t.points))
	for _, p := range t.points {
		if p.member != id {
			points = append(points, p)
		}
	}
	weights := make(map[string]float64, len(t.weights))
	for k, v := range t.weights {
		if k != id {
			weights[k] = v
		}
	}
	return &table{points: points, weights: weights}, nil
}

// search returns the index of the first point at or after h, wrapping to 0.
// The table must not be empty.
func (t *table) search(h uint64) int {
	i := sort.Search(len(t.points), func(i int) bool { return t.points[i].hash >= h })
	if i == len(t.points) {
		i = 0
	}
	return i
}

// members returns the sorted member IDs.
func (t *table) members() []string {
	ids := make([]string, 0, len(t.weights))
	for id := range t.weights {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Ring is a consistent hash ring with virtual nodes and weights.
//
// All methods are safe for concurrent use. Lookups (Get, GetN, Members, Len)
// never block: they read an immutable snapshot published with an atomic
// pointer. Changes (Add, AddWeighted, Remove) are serialized among
// themselves and cost O(V) for V virtual nodes in total.
type Ring struct {
	cfg Config
	mu  sync.Mutex // serializes writers
	cur atomic.Pointer[table]
}

// New returns an empty ring configured by cfg, or an error wrapping
// ErrInvalidConfig.
func New(cfg Config) (*Ring, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Ring{cfg: cfg}
	r.cur.Store(emptyTable)
	return r, nil
}

// Add adds a member of weight 1. It returns ErrEmptyID or
// ErrDuplicateMember on bad input.
func (r *Ring) Add(id string) error { return r.AddWeighted(id, 1) }

// AddWeighted adds a member that takes round(VirtualNodes × weight) virtual
// nodes (at least one), so it receives a share of keys proportional to its
// weight. Weight zero means 1; a negative, NaN or infinite weight returns
// ErrInvalidWeight.
func (r *Ring) AddWeighted(id string, weight float64) error {
	if err := checkID(id); err != nil {
		return err
	}
	w, err := checkWeight(weight)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.cur.Load().with(id, w, r.cfg.VirtualNodes)
	if err != nil {
		return err
	}
	r.cur.Store(t)
	return nil
}

// Remove removes a member. It returns ErrUnknownMember if id is absent.
func (r *Ring) Remove(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.cur.Load().without(id)
	if err != nil {
		return err
	}
	r.cur.Store(t)
	return nil
}

// Get returns the member that owns key: the owner of the first virtual node
// clockwise from HashKey(key). It returns ErrNoMembers on an empty ring.
// It does not allocate.
func (r *Ring) Get(key string) (string, error) {
	t := r.cur.Load()
	if len(t.points) == 0 {
		return "", ErrNoMembers
	}
	return t.points[t.search(HashKey(key))].member, nil
}

// GetN returns up to n distinct members for key, in preference order: the
// owners met walking clockwise from the key's position, skipping members
// already chosen. The first is Get(key). If the ring has fewer than n
// members, all of them are returned. The caller owns the returned slice.
// It returns ErrInvalidCount for n < 1 and ErrNoMembers on an empty ring.
func (r *Ring) GetN(key string, n int) ([]string, error) {
	if n < 1 {
		return nil, ErrInvalidCount
	}
	t := r.cur.Load()
	if len(t.points) == 0 {
		return nil, ErrNoMembers
	}
	n = min(n, len(t.weights))
	out := make([]string, 0, n)
	start := t.search(HashKey(key))
	for k := 0; k < len(t.points) && len(out) < n; k++ {
		m := t.points[(start+k)%len(t.points)].member
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// Members returns the member IDs in ascending order. The caller owns the
// returned slice.
func (r *Ring) Members() []string { return r.cur.Load().members() }

// Len returns the number of members.
func (r *Ring) Len() int { return len(r.cur.Load().weights) }
