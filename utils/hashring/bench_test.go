package hashring

import (
	"fmt"
	"testing"
)

func benchKeys() []string {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = keyName(i)
	}
	return keys
}

func BenchmarkRingGet(b *testing.B) {
	keys := benchKeys()
	for _, m := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d/vnodes=100", m), func(b *testing.B) {
			r := newRing(b, Config{VirtualNodes: 100})
			addAll(b, r, memberIDs(m))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := r.Get(keys[i&1023]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkRingGetN3(b *testing.B) {
	keys := benchKeys()
	r := newRing(b, Config{})
	addAll(b, r, memberIDs(100))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := r.GetN(keys[i&1023], 3); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkBoundedAssign(b *testing.B) {
	keys := benchKeys()
	for _, m := range []int{10, 100} {
		b.Run(fmt.Sprintf("members=%d/eps=0.25", m), func(b *testing.B) {
			br, _ := NewBounded(BoundedConfig{})
			addAll(b, br, memberIDs(m))
			// Steady state: about 100 keys per member outstanding.
			held := make([]string, 0, 100*m)
			for i := range 100 * m {
				owner, _ := br.Assign(keyName(i))
				held = append(held, owner)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				j := i % len(held)
				_ = br.Release(held[j])
				owner, err := br.Assign(keys[i&1023])
				if err != nil {
					b.Fatal(err)
				}
				held[j] = owner
				i++
			}
		})
	}
}

func BenchmarkRendezvousGet(b *testing.B) {
	keys := benchKeys()
	for _, m := range []int{10, 100} {
		b.Run(fmt.Sprintf("members=%d", m), func(b *testing.B) {
			r := NewRendezvous()
			addAll(b, r, memberIDs(m))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := r.Get(keys[i&1023]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("members=100/weighted", func(b *testing.B) {
		r := NewRendezvous()
		addAll(b, r, memberIDs(99))
		_ = r.AddWeighted("heavy", 2)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := r.Get(keys[i&1023]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkJump(b *testing.B) {
	for _, n := range []int{10, 1000, 1_000_000} {
		b.Run(fmt.Sprintf("buckets=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var k uint64
			for b.Loop() {
				if _, err := Jump(k, n); err != nil {
					b.Fatal(err)
				}
				k += 0x9e3779b97f4a7c15
			}
		})
	}
}
