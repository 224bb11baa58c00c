package ratelimit

import (
	"fmt"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"
)

func BenchmarkAllowParallel(b *testing.B) {
	for _, keys := range []int{1, 1000, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			names := make([]string, keys)
			for i := range names {
				names[i] = fmt.Sprintf("peer-%d", i)
			}
			k, _ := New(rate.Limit(1e9), 1000)
			var seq atomic.Uint64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seq.Add(1)) * 7919
				for pb.Next() {
					k.Allow(names[i%keys])
					i++
				}
			})
		})
	}
}

func BenchmarkAllow(b *testing.B) {
	k, _ := New(rate.Limit(1e9), 1000)
	b.ReportAllocs()
	for b.Loop() {
		k.Allow("peer")
	}
}
