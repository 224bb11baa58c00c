package bench

import (
	"fmt"
	"math"
	"slices"
)

// Stat is the median, minimum and maximum of a figure over repeated runs.
type Stat struct {
	Med, Min, Max float64
	// N is the number of runs.
	N int
}

func statOf(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{Med: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Med: med, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// collect applies f to each run.
func collect[T any](rs []T, f func(T) float64) Stat {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return statOf(xs)
}

// format writes s as "med (min–max)" with the given verb for each.
func (s Stat) format(verb string) string {
	if s.N == 0 {
		return "–"
	}
	if s.Min == s.Max {
		return fmt.Sprintf(verb, s.Med)
	}
	return fmt.Sprintf(verb+" ("+verb+"–"+verb+")", s.Med, s.Min, s.Max)
}

// ratio returns a/b formatted, or "–".
func ratio(a, b Stat) string {
	if a.N == 0 || b.N == 0 || b.Med == 0 || math.IsNaN(a.Med) || math.IsNaN(b.Med) {
		return "–"
	}
	return fmt.Sprintf("%.2f", a.Med/b.Med)
}
