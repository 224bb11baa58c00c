package hashring

import (
	"flag"
	"fmt"
	"testing"
)

var measure = flag.Bool("measure", false, "print key distribution and movement figures for 1M keys")

// TestMeasure prints the figures quoted in the README:
//
//	go test -run TestMeasure -measure -v ./hashring
func TestMeasure(t *testing.T) {
	if !*measure {
		t.Skip("run with -measure")
	}
	const keys = 1_000_000
	for _, m := range []int{10, 100} {
		for _, kind := range []string{"ring/vnodes=100", "rendezvous"} {
			var p placer = NewRendezvous()
			if kind != "rendezvous" {
				p = newRing(t, Config{VirtualNodes: 100})
			}
			ids := memberIDs(m)
			addAll(t, p, ids)
			before := assign(t, p, keys)
			counts := map[string]int{}
			for _, o := range before {
				counts[o]++
			}
			mean, sd := stddev(counts, m)

			addAll(t, p, []string{"newcomer"})
			after := assign(t, p, keys)
			if err := p.Remove(ids[0]); err != nil {
				t.Fatal(err)
			}
			final := assign(t, p, keys)
			join, leave := 0, 0
			for i := range keys {
				if after[i] != before[i] {
					join++
				}
				if final[i] != after[i] {
					leave++
				}
			}
			fmt.Printf("%-16s M=%-3d keys=%d mean=%.0f sd=%.0f (%.2f%% of mean)  join %d->%d moved %.4f (ideal %.4f)  leave %d->%d moved %.4f (ideal %.4f)\n",
				kind, m, keys, mean, sd, 100*sd/mean,
				m, m+1, float64(join)/keys, 1/float64(m+1),
				m+1, m, float64(leave)/keys, 1/float64(m+1))
		}
	}
	// Jump: growing and shrinking the bucket count by one.
	for _, n := range []int{10, 100} {
		counts := map[string]int{}
		grow, shrink := 0, 0
		for i := range keys {
			b, _ := JumpString(keyName(i), n)
			b1, _ := JumpString(keyName(i), n+1)
			b0, _ := JumpString(keyName(i), n-1)
			counts[fmt.Sprint(b)]++
			if b1 != b {
				grow++
			}
			if b0 != b {
				shrink++
			}
		}
		mean, sd := stddev(counts, n)
		fmt.Printf("%-16s M=%-3d keys=%d mean=%.0f sd=%.0f (%.2f%% of mean)  grow %d->%d moved %.4f (ideal %.4f)  shrink %d->%d moved %.4f (ideal %.4f)\n",
			"jump", n, keys, mean, sd, 100*sd/mean, n, n+1, float64(grow)/keys, 1/float64(n+1), n, n-1, float64(shrink)/keys, 1/float64(n))
	}
}
