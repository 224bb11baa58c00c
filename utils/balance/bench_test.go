package balance

import (
	"fmt"
	"testing"
)

func benchMembers(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{ID: fmt.Sprint(i), Load: float64(i % 17), Weight: float64(1 + i%3)}
	}
	return ms
}

func BenchmarkPowerOfTwo(b *testing.B) {
	bal := newBalancer(b, 1)
	ms := benchMembers(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bal.PowerOfTwo(ms); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWeightedRandom(b *testing.B) {
	bal := newBalancer(b, 1)
	ms := benchMembers(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bal.WeightedRandom(ms); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLeastLoaded(b *testing.B) {
	ms := benchMembers(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LeastLoaded(ms); err != nil {
			b.Fatal(err)
		}
	}
}
