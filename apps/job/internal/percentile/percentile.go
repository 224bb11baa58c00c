// Package percentile summarizes samples of durations, for the reports of
// the job scheduler's tests and chaos runs.
package percentile

import (
	"slices"
	"time"
)

// Of returns the p-th percentile of ds by the nearest-rank method: the
// smallest sample with at least p percent of the samples at or below it.
// p is clamped to [0, 100]; p = 0 gives the minimum and p = 100 the maximum.
// Of returns 0 for no samples. It does not modify ds.
func Of(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	p = min(max(p, 0), 100)
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}
