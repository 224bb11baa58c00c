package vsim

import (
	"testing"
	"time"
)

func TestOrderAndReplay(t *testing.T) {
	run := func(seed uint64) []int {
		s := New(seed)
		var got []int
		s.After(2*time.Second, func() { got = append(got, 2) })
		s.After(time.Second, func() { got = append(got, 1) })
		s.After(time.Second, func() { got = append(got, 11) })
		n := 0
		s.Every(500*time.Millisecond, 100*time.Millisecond, func() bool {
			n++
			got = append(got, 100+s.Rand.IntN(10))
			return n < 3
		})
		s.At(Epoch.Add(-time.Hour), func() { got = append(got, 0) })
		s.RunFor(5 * time.Second)
		if s.Pending() != 0 || !s.Now.Equal(Epoch.Add(5*time.Second)) {
			t.Errorf("pending %d, now %v", s.Pending(), s.Now)
		}
		if s.Chance(0) {
			t.Error("Chance(0)")
		}
		return got
	}
	a, b := run(1), run(1)
	if len(a) != 7 || a[0] != 0 || a[len(a)-1] != 2 {
		t.Errorf("order: %v", a)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different runs: %v vs %v", a, b)
		}
	}
}
