package core

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDIndex drives the index through random inserts, removals and
// lookups against a map, over several growths, and checks that deleted
// slots are reclaimed rather than growing the table without bound.
func TestIDIndex(t *testing.T) {
	ids := map[int32]string{}
	idOf := func(k int32) string { return ids[k] }
	want := map[string]int32{}
	x := newIDIndex(0)
	rng := rand.New(rand.NewPCG(1, 2))
	next := int32(0)
	var free []int32
	for step := range 20000 {
		id := fmt.Sprintf("node-%d", rng.IntN(600))
		k, ok := x.find(id, idOf)
		wk, wok := want[id]
		if ok != wok || (ok && k != wk) {
			t.Fatalf("step %d: find(%q) = %d, %v; want %d, %v", step, id, k, ok, wk, wok)
		}
		switch {
		case !ok:
			k := next
			if len(free) > 0 {
				k, free = free[len(free)-1], free[:len(free)-1]
			} else {
				next++
			}
			x.insert(id, k, idOf)
			ids[k], want[id] = id, k
		case rng.IntN(2) == 0:
			x.remove(id, k)
			delete(ids, k)
			delete(want, id)
			free = append(free, k)
		}
		if x.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, x.len(), len(want))
		}
	}
	if len(x.slots) > slotsFor(600)*2 {
		t.Errorf("table of %d slots for at most 600 ids", len(x.slots))
	}
	for id, k := range want {
		if got, ok := x.find(id, idOf); !ok || got != k {
			t.Errorf("find(%q) = %d, %v; want %d", id, got, ok, k)
		}
	}
	x.remove("absent", 3) // no-op
	if x.len() != len(want) {
		t.Errorf("removing an absent id changed the count")
	}
}

func BenchmarkIDIndexFind(b *testing.B) {
	ids := make([]string, 256)
	x := newIDIndex(0)
	idOf := func(k int32) string { return ids[k] }
	for i := range ids {
		ids[i] = fmt.Sprintf("node-%d", i)
		x.insert(ids[i], int32(i), idOf)
	}
	m := map[string]int32{}
	for i, id := range ids {
		m[id] = int32(i)
	}
	b.Run("index", func(b *testing.B) {
		for i := range b.N {
			if _, ok := x.find(ids[i&255], idOf); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for i := range b.N {
			if _, ok := m[ids[i&255]]; !ok {
				b.Fatal("missing")
			}
		}
	})
}
