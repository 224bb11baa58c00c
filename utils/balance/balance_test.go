package balance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func newBalancer(t testing.TB, seed uint64) *Balancer {
	t.Helper()
	b, err := New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNew(t *testing.T) {
	if _, err := New(nil); !errors.Is(err, ErrNilSource) {
		t.Errorf("New(nil) = %v, want ErrNilSource", err)
	}
}

func TestInvalidInput(t *testing.T) {
	b := newBalancer(t, 1)
	ok := Member{ID: "ok", Load: 1}
	cases := []struct {
		name string
		m    Member
		want error
	}{
		{"negative load", Member{ID: "x", Load: -1}, ErrInvalidLoad},
		{"nan load", Member{ID: "x", Load: math.NaN()}, ErrInvalidLoad},
		{"inf load", Member{ID: "x", Load: math.Inf(1)}, ErrInvalidLoad},
		{"negative weight", Member{ID: "x", Weight: -1}, ErrInvalidWeight},
		{"nan weight", Member{ID: "x", Weight: math.NaN()}, ErrInvalidWeight},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := LeastLoaded([]Member{ok, c.m}); !errors.Is(err, c.want) {
				t.Errorf("LeastLoaded = %v, want %v", err, c.want)
			}
			// PowerOfTwo validates what it samples: with two members both.
			if _, err := b.PowerOfTwo([]Member{ok, c.m}); !errors.Is(err, c.want) {
				t.Errorf("PowerOfTwo = %v, want %v", err, c.want)
			}
			if _, err := b.PowerOfTwo([]Member{c.m, ok}); !errors.Is(err, c.want) {
				t.Errorf("PowerOfTwo (first) = %v, want %v", err, c.want)
			}
			if _, err := b.PowerOfTwo([]Member{c.m}); !errors.Is(err, c.want) {
				t.Errorf("PowerOfTwo (single) = %v, want %v", err, c.want)
			}
			if c.want == ErrInvalidWeight {
				if _, err := b.WeightedRandom([]Member{ok, c.m}); !errors.Is(err, c.want) {
					t.Errorf("WeightedRandom = %v, want %v", err, c.want)
				}
			}
		})
	}
	big := []Member{{ID: "a", Weight: math.MaxFloat64}, {ID: "b", Weight: math.MaxFloat64}}
	if _, err := b.WeightedRandom(big); !errors.Is(err, ErrInvalidWeight) {
		t.Errorf("WeightedRandom(overflowing sum) = %v", err)
	}
	for name, pick := range map[string]func([]Member) (Member, error){
		"PowerOfTwo": b.PowerOfTwo, "WeightedRandom": b.WeightedRandom, "LeastLoaded": LeastLoaded,
	} {
		if _, err := pick(nil); !errors.Is(err, ErrNoMembers) {
			t.Errorf("%s(nil) = %v, want ErrNoMembers", name, err)
		}
		if m, err := pick([]Member{ok}); err != nil || m != ok {
			t.Errorf("%s(one) = %v, %v", name, m, err)
		}
	}
}

func TestLeastLoaded(t *testing.T) {
	tests := []struct {
		members []Member
		want    string
	}{
		{[]Member{{ID: "a", Load: 3}, {ID: "b", Load: 1}, {ID: "c", Load: 2}}, "b"},
		{[]Member{{ID: "a", Load: 1}, {ID: "b", Load: 1}}, "a"},                       // tie: first
		{[]Member{{ID: "a", Load: 4}, {ID: "b", Load: 6, Weight: 2}}, "b"},            // 4 vs 3 per unit
		{[]Member{{ID: "a", Load: 0, Weight: 0}, {ID: "b", Load: 0, Weight: 5}}, "a"}, // zero load ties
	}
	for _, tt := range tests {
		got, err := LeastLoaded(tt.members)
		if err != nil || got.ID != tt.want {
			t.Errorf("LeastLoaded(%v) = %v, %v; want %s", tt.members, got, err, tt.want)
		}
	}
}

// TestPowerOfTwoChoiceFrequencies: the most loaded member always loses its
// pair, and each member wins as often as the pairs it beats.
func TestPowerOfTwoChoiceFrequencies(t *testing.T) {
	b := newBalancer(t, 2)
	members := make([]Member, 10)
	for i := range members {
		members[i] = Member{ID: fmt.Sprint(i), Load: float64(i)}
	}
	const picks = 100_000
	counts := make([]int, len(members))
	for range picks {
		m, err := b.PowerOfTwo(members)
		if err != nil {
			t.Fatal(err)
		}
		var i int
		fmt.Sscan(m.ID, &i)
		counts[i]++
	}
	if counts[9] != 0 {
		t.Errorf("most loaded member picked %d times", counts[9])
	}
	// Member i wins when paired with a more loaded one: P = 2(n-1-i)/(n(n-1)).
	n := float64(len(members))
	for i, c := range counts {
		want := 2 * (n - 1 - float64(i)) / (n * (n - 1))
		if got := float64(c) / picks; math.Abs(got-want) > 0.01 {
			t.Errorf("member %d picked %.3f of the time, want %.3f", i, got, want)
		}
	}
}

// TestPowerOfTwoBallsIntoBins: placing balls on the less loaded of two
// random bins keeps the maximum load near the average, unlike one random
// choice.
func TestPowerOfTwoBallsIntoBins(t *testing.T) {
	const bins, balls = 100, 100_000
	b := newBalancer(t, 3)
	members := make([]Member, bins)
	for i := range members {
		members[i].ID = fmt.Sprint(i)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	random := make([]int, bins)
	index := map[string]int{}
	for i, m := range members {
		index[m.ID] = i
	}
	for range balls {
		m, err := b.PowerOfTwo(members)
		if err != nil {
			t.Fatal(err)
		}
		members[index[m.ID]].Load++
		random[rng.IntN(bins)]++
	}
	avg := float64(balls) / bins
	maxP2C, maxRandom := 0.0, 0
	for i := range bins {
		maxP2C = max(maxP2C, members[i].Load)
		maxRandom = max(maxRandom, random[i])
	}
	t.Logf("average %.0f: max with two choices %.0f, with one random choice %d", avg, maxP2C, maxRandom)
	if maxP2C-avg > 5 {
		t.Errorf("two choices: max %.0f is %.0f above average", maxP2C, maxP2C-avg)
	}
	if float64(maxRandom)-avg < 2*(maxP2C-avg) {
		t.Errorf("two choices (max %.0f) not clearly better than random (max %d)", maxP2C, maxRandom)
	}
}

func TestWeightedRandom(t *testing.T) {
	b := newBalancer(t, 5)
	members := []Member{{ID: "a", Weight: 1}, {ID: "b", Weight: 0}, {ID: "c", Weight: 2}} // b: zero means 1
	const picks = 100_000
	counts := map[string]int{}
	for range picks {
		m, err := b.WeightedRandom(members)
		if err != nil {
			t.Fatal(err)
		}
		counts[m.ID]++
	}
	for id, want := range map[string]float64{"a": 0.25, "b": 0.25, "c": 0.5} {
		if got := float64(counts[id]) / picks; math.Abs(got-want) > 0.01 {
			t.Errorf("%s picked %.3f of the time, want %.3f", id, got, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	members := []Member{{ID: "a", Load: 1}, {ID: "b", Load: 2}, {ID: "c", Load: 3}, {ID: "d", Load: 0, Weight: 3}}
	run := func() []string {
		b := newBalancer(t, 42)
		var out []string
		for range 50 {
			m, _ := b.PowerOfTwo(members)
			w, _ := b.WeightedRandom(members)
			out = append(out, m.ID, w.ID)
		}
		return out
	}
	a, c := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(c) {
		t.Errorf("same seed, different picks:\n%v\n%v", a, c)
	}
}

func TestConcurrent(t *testing.T) {
	b := newBalancer(t, 6)
	members := []Member{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				if _, err := b.PowerOfTwo(members); err != nil {
					t.Error(err)
					return
				}
				if _, err := b.WeightedRandom(members); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
