package bootstrap

import (
	"math/rand/v2"
	"time"
)

// Backoff is an exponential backoff with jitter: the delay before retry
// n (from 0) is drawn uniformly from [d/2, d], d = min(Max, Base·2^n).
type Backoff struct {
	// Base is the first delay's upper bound. Default 200ms.
	Base time.Duration
	// Max caps the delay. Default 30s.
	Max time.Duration
}

// Delay returns the delay before retry attempt (0 for the first retry),
// drawing the jitter from r.
func (b Backoff) Delay(attempt int, r *rand.Rand) time.Duration {
	base, top := b.Base, b.Max
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	if top <= 0 {
		top = 30 * time.Second
	}
	d := base
	for i := 0; i < attempt && d < top; i++ {
		d *= 2
	}
	d = min(d, top)
	half := d / 2
	return half + time.Duration(r.Int64N(int64(d-half)+1))
}
