package hashring

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
)

// placer is what Ring and Rendezvous have in common.
type placer interface {
	Add(id string) error
	AddWeighted(id string, w float64) error
	Remove(id string) error
	Get(key string) (string, error)
	GetN(key string, n int) ([]string, error)
	Members() []string
	Len() int
}

func newRing(t testing.TB, cfg Config) *Ring {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return r
}

func placers(t testing.TB) map[string]func() placer {
	return map[string]func() placer{
		"ring":       func() placer { return newRing(t, Config{}) },
		"rendezvous": func() placer { return NewRendezvous() },
	}
}

func memberIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("node-%03d", i)
	}
	return ids
}

func keyName(i int) string { return fmt.Sprintf("key-%d", i) }

func addAll(t testing.TB, p interface{ Add(string) error }, ids []string) {
	t.Helper()
	for _, id := range ids {
		if err := p.Add(id); err != nil {
			t.Fatalf("Add(%q): %v", id, err)
		}
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		cfg     Config
		wantErr bool
		vnodes  int
	}{
		{Config{}, false, DefaultVirtualNodes},
		{Config{VirtualNodes: 7}, false, 7},
		{Config{VirtualNodes: -1}, true, 0},
		{Config{VirtualNodes: MaxVirtualNodes + 1}, true, 0},
	}
	for _, tt := range tests {
		r, err := New(tt.cfg)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("New(%+v) err = %v, want ErrInvalidConfig", tt.cfg, err)
			}
			continue
		}
		if err != nil || r.cfg.VirtualNodes != tt.vnodes {
			t.Errorf("New(%+v) = vnodes %d, %v; want %d", tt.cfg, r.cfg.VirtualNodes, err, tt.vnodes)
		}
	}
}

func TestPlacerErrors(t *testing.T) {
	for name, mk := range placers(t) {
		t.Run(name, func(t *testing.T) {
			p := mk()
			if _, err := p.Get("k"); !errors.Is(err, ErrNoMembers) {
				t.Errorf("Get on empty: err = %v, want ErrNoMembers", err)
			}
			if _, err := p.GetN("k", 2); !errors.Is(err, ErrNoMembers) {
				t.Errorf("GetN on empty: err = %v, want ErrNoMembers", err)
			}
			if _, err := p.GetN("k", 0); !errors.Is(err, ErrInvalidCount) {
				t.Errorf("GetN(0): err = %v, want ErrInvalidCount", err)
			}
			cases := []struct {
				id   string
				w    float64
				want error
			}{
				{"", 1, ErrEmptyID},
				{"a", -1, ErrInvalidWeight},
				{"a", math.NaN(), ErrInvalidWeight},
				{"a", math.Inf(1), ErrInvalidWeight},
				{"a", 0, nil},
				{"a", 1, ErrDuplicateMember},
			}
			for _, c := range cases {
				if err := p.AddWeighted(c.id, c.w); !errors.Is(err, c.want) {
					t.Errorf("AddWeighted(%q, %v) = %v, want %v", c.id, c.w, err, c.want)
				}
			}
			if err := p.Remove("zzz"); !errors.Is(err, ErrUnknownMember) {
				t.Errorf("Remove(unknown) = %v, want ErrUnknownMember", err)
			}
			if got, err := p.GetN("k", 5); err != nil || !slices.Equal(got, []string{"a"}) {
				t.Errorf("GetN(k, 5) with one member = %v, %v; want [a]", got, err)
			}
			if err := p.Remove("a"); err != nil {
				t.Fatalf("Remove(a): %v", err)
			}
			if p.Len() != 0 {
				t.Errorf("Len after remove = %d, want 0", p.Len())
			}
		})
	}
}

func TestRingWeightTooLarge(t *testing.T) {
	r := newRing(t, Config{})
	if err := r.AddWeighted("big", MaxVirtualNodes); !errors.Is(err, ErrInvalidWeight) {
		t.Errorf("AddWeighted(huge) = %v, want ErrInvalidWeight", err)
	}
	// A tiny weight still gets one virtual node.
	if err := r.AddWeighted("tiny", 1e-9); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Get("x"); err != nil || got != "tiny" {
		t.Errorf("Get = %q, %v; want tiny", got, err)
	}
}

// TestOrderIndependence: placement depends on the member set only.
func TestOrderIndependence(t *testing.T) {
	ids := memberIDs(20)
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	for name, mk := range placers(t) {
		t.Run(name, func(t *testing.T) {
			a, b := mk(), mk()
			addAll(t, a, ids)
			addAll(t, b, rev)
			// Add and remove an extra member in b: no trace must remain.
			addAll(t, b, []string{"extra"})
			if err := b.Remove("extra"); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Members(), b.Members()) || a.Len() != len(ids) {
				t.Fatalf("Members differ: %v vs %v", a.Members(), b.Members())
			}
			for i := range 2000 {
				k := keyName(i)
				ga, _ := a.GetN(k, 3)
				gb, _ := b.GetN(k, 3)
				if !slices.Equal(ga, gb) {
					t.Fatalf("GetN(%q) = %v vs %v", k, ga, gb)
				}
				g, _ := a.Get(k)
				if g != ga[0] {
					t.Fatalf("Get(%q) = %q, GetN[0] = %q", k, g, ga[0])
				}
			}
		})
	}
}

func TestGetNDistinct(t *testing.T) {
	for name, mk := range placers(t) {
		t.Run(name, func(t *testing.T) {
			p := mk()
			addAll(t, p, memberIDs(10))
			for i := range 1000 {
				got, err := p.GetN(keyName(i), 4)
				if err != nil || len(got) != 4 {
					t.Fatalf("GetN = %v, %v; want 4 members", got, err)
				}
				s := slices.Clone(got)
				slices.Sort(s)
				if len(slices.Compact(s)) != 4 {
					t.Fatalf("GetN(%q) = %v has duplicates", keyName(i), got)
				}
			}
		})
	}
}

// assign maps keys 0..n-1 to members.
func assign(t testing.TB, p placer, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		m, err := p.Get(keyName(i))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	return out
}

// TestMovement: adding or removing one of M members moves about 1/M of the
// keys, and only keys that have to move.
func TestMovement(t *testing.T) {
	const keys = 100_000
	for name, mk := range placers(t) {
		for _, m := range []int{10, 50} {
			t.Run(fmt.Sprintf("%s/M=%d", name, m), func(t *testing.T) {
				if name == "rendezvous" && m == 50 && raceEnabled {
					t.Skip(plainOnly)
				}
				p := mk()
				ids := memberIDs(m)
				addAll(t, p, ids)
				before := assign(t, p, keys)

				// Join: M -> M+1, ideal 1/(M+1), only to the newcomer.
				addAll(t, p, []string{"newcomer"})
				after := assign(t, p, keys)
				moved := 0
				for i := range after {
					if after[i] != before[i] {
						moved++
						if after[i] != "newcomer" {
							t.Fatalf("join moved %q from %q to %q", keyName(i), before[i], after[i])
						}
					}
				}
				checkFraction(t, "join", moved, keys, 1/float64(m+1))

				// Leave: remove an original member, ideal 1/M of (M+1).
				gone := ids[m/2]
				if err := p.Remove(gone); err != nil {
					t.Fatal(err)
				}
				final := assign(t, p, keys)
				moved = 0
				for i := range final {
					if final[i] != after[i] {
						moved++
						if after[i] != gone {
							t.Fatalf("leave moved %q off %q, not off %q", keyName(i), after[i], gone)
						}
					}
				}
				checkFraction(t, "leave", moved, keys, 1/float64(m+1))
			})
		}
	}
}

func checkFraction(t *testing.T, what string, moved, keys int, ideal float64) {
	t.Helper()
	got := float64(moved) / float64(keys)
	// 100 virtual nodes give each member's share a relative standard
	// deviation near 10%; allow 40% of the ideal.
	if math.Abs(got-ideal) > 0.4*ideal {
		t.Errorf("%s moved %.4f of keys, ideal %.4f (tolerance 40%%)", what, got, ideal)
	}
	t.Logf("%s moved %.4f of keys, ideal %.4f", what, got, ideal)
}

// stddev returns the mean and standard deviation of keys per member.
func stddev(counts map[string]int, members int) (mean, sd float64) {
	total := 0
	for _, c := range counts {
		total += c
	}
	mean = float64(total) / float64(members)
	var ss float64
	for _, c := range counts {
		d := float64(c) - mean
		ss += d * d
	}
	ss += float64(members-len(counts)) * mean * mean // members with no keys
	return mean, math.Sqrt(ss / float64(members))
}

// plainOnly is the skip message of the rendezvous runs over 100,000 keys
// or more: 10-20 million scores each, single-goroutine and fixed by the
// hash, so the race detector (with atomic coverage counters on every
// score) only makes them take half a minute each.
const plainOnly = "single-goroutine and deterministic: make test runs it without -race (utils/test-extra.sh)"

func TestDistribution(t *testing.T) {
	const keys = 200_000
	tests := []struct {
		name   string
		mk     func() placer
		m      int
		maxRel float64 // max relative standard deviation
		plain  bool    // too slow under -race: runs in the plain pass only
	}{
		{"ring/vnodes=100/M=10", func() placer { return newRing(t, Config{}) }, 10, 0.15, false},
		{"ring/vnodes=100/M=100", func() placer { return newRing(t, Config{}) }, 100, 0.15, false},
		{"ring/vnodes=1000/M=10", func() placer { return newRing(t, Config{VirtualNodes: 1000}) }, 10, 0.05, false},
		{"rendezvous/M=10", func() placer { return NewRendezvous() }, 10, 0.03, false},
		{"rendezvous/M=100", func() placer { return NewRendezvous() }, 100, 0.05, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.plain && raceEnabled {
				t.Skip(plainOnly)
			}
			p := tt.mk()
			addAll(t, p, memberIDs(tt.m))
			counts := map[string]int{}
			for _, m := range assign(t, p, keys) {
				counts[m]++
			}
			mean, sd := stddev(counts, tt.m)
			t.Logf("keys=%d members=%d mean=%.0f sd=%.1f (%.2f%%)", keys, tt.m, mean, sd, 100*sd/mean)
			if sd/mean > tt.maxRel {
				t.Errorf("relative sd %.3f above %.3f", sd/mean, tt.maxRel)
			}
		})
	}
}

func TestWeights(t *testing.T) {
	const keys = 100_000
	for name, mk := range placers(t) {
		t.Run(name, func(t *testing.T) {
			p := mk()
			addAll(t, p, []string{"a", "b"})
			if err := p.AddWeighted("heavy", 2); err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for _, m := range assign(t, p, keys) {
				counts[m]++
			}
			// heavy should hold about half the keys.
			share := float64(counts["heavy"]) / keys
			if math.Abs(share-0.5) > 0.08 {
				t.Errorf("heavy share %.3f, want about 0.5 (counts %v)", share, counts)
			}
		})
	}
}

// TestConcurrentReadersAndWriters runs under -race: readers always see a
// member that exists in some snapshot.
func TestConcurrentReadersAndWriters(t *testing.T) {
	for name, mk := range placers(t) {
		t.Run(name, func(t *testing.T) {
			p := mk()
			stable := memberIDs(5)
			addAll(t, p, stable)
			var wg sync.WaitGroup
			done := make(chan struct{})
			for r := range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-done:
							return
						default:
						}
						m, err := p.Get(keyName(i + r*1_000_000))
						if err != nil || m == "" {
							t.Errorf("Get: %q, %v", m, err)
							return
						}
						if _, err := p.GetN(keyName(i), 3); err != nil {
							t.Errorf("GetN: %v", err)
							return
						}
					}
				})
			}
			for i := range 200 {
				id := fmt.Sprintf("churn-%d", i)
				if err := p.Add(id); err != nil {
					t.Fatal(err)
				}
				if err := p.Remove(id); err != nil {
					t.Fatal(err)
				}
			}
			close(done)
			wg.Wait()
		})
	}
}
