package hashring

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestBoundedConfig(t *testing.T) {
	tests := []struct {
		cfg  BoundedConfig
		want error
	}{
		{BoundedConfig{}, nil},
		{BoundedConfig{Epsilon: 0.1}, nil},
		{BoundedConfig{Epsilon: -0.1}, ErrInvalidConfig},
		{BoundedConfig{Epsilon: math.NaN()}, ErrInvalidConfig},
		{BoundedConfig{Epsilon: math.Inf(1)}, ErrInvalidConfig},
		{BoundedConfig{Ring: Config{VirtualNodes: -3}}, ErrInvalidConfig},
	}
	for _, tt := range tests {
		if _, err := NewBounded(tt.cfg); !errors.Is(err, tt.want) {
			t.Errorf("NewBounded(%+v) = %v, want %v", tt.cfg, err, tt.want)
		}
	}
}

func TestBoundedErrors(t *testing.T) {
	b, _ := NewBounded(BoundedConfig{})
	if _, err := b.Assign("k"); !errors.Is(err, ErrNoMembers) {
		t.Errorf("Assign on empty = %v, want ErrNoMembers", err)
	}
	if b.Bound() != 0 {
		t.Errorf("Bound on empty = %d, want 0", b.Bound())
	}
	if err := b.Add(""); !errors.Is(err, ErrEmptyID) {
		t.Errorf("Add(\"\") = %v", err)
	}
	if err := b.Add("a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Add("a"); !errors.Is(err, ErrDuplicateMember) {
		t.Errorf("Add dup = %v", err)
	}
	if err := b.Release("a"); !errors.Is(err, ErrNotAssigned) {
		t.Errorf("Release unassigned = %v", err)
	}
	if err := b.Release("x"); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("Release unknown = %v", err)
	}
	if err := b.Remove("x"); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("Remove unknown = %v", err)
	}
	if m, err := b.Assign("k"); err != nil || m != "a" || b.Load("a") != 1 {
		t.Errorf("Assign = %q, %v, load %d", m, err, b.Load("a"))
	}
	if err := b.Release("a"); err != nil || b.Load("a") != 0 {
		t.Errorf("Release = %v, load %d", err, b.Load("a"))
	}
}

// TestBoundedNeverExceeds drives random assignments, releases, joins and
// leaves and checks after every step that no member holds more than
// ceil((1+ε)·average).
func TestBoundedNeverExceeds(t *testing.T) {
	for _, eps := range []float64{0.01, 0.1, 0.25, 1} {
		rng := rand.New(rand.NewPCG(1, uint64(eps*1000)))
		b, err := NewBounded(BoundedConfig{Epsilon: eps})
		if err != nil {
			t.Fatal(err)
		}
		ids := memberIDs(30)
		addAll(t, b, ids[:10])
		next := 10
		var held []string // members of outstanding keys, one entry per key
		for step := range 20_000 {
			switch r := rng.IntN(100); {
			case r < 70 || len(held) == 0:
				bound := b.Bound()
				m, err := b.Assign(keyName(step))
				if err != nil {
					t.Fatal(err)
				}
				if l := b.Load(m); l > bound {
					t.Fatalf("eps=%v step %d: %s load %d above bound %d", eps, step, m, l, bound)
				}
				// The bound is ceil((1+eps)*average) after the assignment.
				avg := float64(len(held)+1) / float64(len(b.Members()))
				if l := b.Load(m); float64(l-1) >= (1+eps)*avg*(1+1e-9) {
					t.Fatalf("eps=%v: load %d above ceil((1+eps)*%v)", eps, l, avg)
				}
				held = append(held, m)
			case r < 98:
				i := rng.IntN(len(held))
				if err := b.Release(held[i]); err != nil {
					t.Fatal(err)
				}
				held[i] = held[len(held)-1]
				held = held[:len(held)-1]
			case r < 99 && next < len(ids):
				addAll(t, b, ids[next:next+1])
				next++
			default:
				// Remove the member of a random key; its keys are
				// reassigned by the caller.
				if len(b.Members()) < 2 {
					continue
				}
				gone := held[rng.IntN(len(held))]
				if err := b.Remove(gone); err != nil {
					t.Fatal(err)
				}
				kept := held[:0]
				lost := 0
				for _, m := range held {
					if m == gone {
						lost++
					} else {
						kept = append(kept, m)
					}
				}
				held = kept
				for k := range lost {
					m, err := b.Assign(keyName(step*1000 + k))
					if err != nil {
						t.Fatal(err)
					}
					held = append(held, m)
				}
			}
		}
		total := 0
		for _, l := range b.Loads() {
			total += l
		}
		if total != len(held) {
			t.Fatalf("sum of loads %d, want %d", total, len(held))
		}
	}
}

// TestBoundedMostlyConsistent: with generous ε and few keys, a key goes where
// the plain ring would put it.
func TestBoundedMostlyConsistent(t *testing.T) {
	b, _ := NewBounded(BoundedConfig{Epsilon: 1})
	r := newRing(t, Config{})
	ids := memberIDs(10)
	addAll(t, b, ids)
	addAll(t, r, ids)
	same := 0
	const n = 1000
	for i := range n {
		got, _ := b.Assign(keyName(i))
		want, _ := r.Get(keyName(i))
		if got == want {
			same++
		}
	}
	if same < n*8/10 {
		t.Errorf("only %d/%d keys on their ring owner", same, n)
	}
}
