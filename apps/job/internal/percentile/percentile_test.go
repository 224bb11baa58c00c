package percentile_test

import (
	"slices"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/percentile"
)

func TestOf(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100 down to 1, unsorted on purpose
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", ms(7), 50, 7 * time.Millisecond},
		{"p0 is the minimum", ms(3, 1, 2), 0, 1 * time.Millisecond},
		{"p100 is the maximum", ms(3, 1, 2), 100, 3 * time.Millisecond},
		{"median of four is the second", ms(4, 3, 2, 1), 50, 2 * time.Millisecond},
		{"p51 of four is the third", ms(4, 3, 2, 1), 51, 3 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p1 of 100", ms(hundred...), 1, 1 * time.Millisecond},
		{"p above 100 clamps", ms(1, 2), 150, 2 * time.Millisecond},
		{"p below 0 clamps", ms(1, 2), -5, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.ds)
			if got := percentile.Of(tt.ds, tt.p); got != tt.want {
				t.Errorf("Of(%v, %d) = %v, want %v", tt.ds, tt.p, got, tt.want)
			}
			if !slices.Equal(in, tt.ds) {
				t.Errorf("Of modified its input: %v, was %v", tt.ds, in)
			}
		})
	}
}
