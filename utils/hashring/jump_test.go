package hashring

import (
	"errors"
	"math"
	"testing"
)

func TestJumpErrors(t *testing.T) {
	for _, n := range []int{0, -1, math.MaxInt32 + 1} {
		if _, err := Jump(1, n); !errors.Is(err, ErrInvalidBuckets) {
			t.Errorf("Jump(1, %d) err = %v, want ErrInvalidBuckets", n, err)
		}
	}
	if b, err := Jump(12345, math.MaxInt32); err != nil || b < 0 || b >= math.MaxInt32 {
		t.Errorf("Jump(12345, MaxInt32) = %d, %v", b, err)
	}
}

// TestJumpMovement: growing n -> n+1 moves only keys into the new bucket,
// about 1/(n+1) of them.
func TestJumpMovement(t *testing.T) {
	const keys = 100_000
	for _, n := range []int{1, 10, 99} {
		moved := 0
		for i := range keys {
			a, _ := JumpString(keyName(i), n)
			b, _ := JumpString(keyName(i), n+1)
			if a != b {
				moved++
				if b != n {
					t.Fatalf("key moved from %d to %d, not to new bucket %d", a, b, n)
				}
			}
			if a < 0 || a >= n {
				t.Fatalf("Jump out of range: %d for %d buckets", a, n)
			}
		}
		checkFraction(t, "jump grow", moved, keys, 1/float64(n+1))
	}
}
