package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func newFake() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func mustNew(t testing.TB, r rate.Limit, b int, opts ...Option) *Keyed {
	t.Helper()
	k, err := New(r, b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name  string
		r     rate.Limit
		b     int
		opts  []Option
		want  error
		shard int
	}{
		{"defaults", 1, 1, nil, nil, shardCount},
		{"inf", rate.Inf, 0, nil, nil, shardCount},
		{"small", 1, 1, []Option{WithMaxKeys(10)}, nil, 1},
		{"negative rate", -1, 1, nil, ErrInvalidRate, 0},
		{"nan rate", rate.Limit(math.NaN()), 1, nil, ErrInvalidRate, 0},
		{"negative burst", 1, -1, nil, ErrInvalidBurst, 0},
		{"zero keys", 1, 1, []Option{WithMaxKeys(0)}, ErrInvalidOption, 0},
		{"zero idle", 1, 1, []Option{WithIdleTimeout(0)}, ErrInvalidOption, 0},
		{"nil clock", 1, 1, []Option{WithClock(nil)}, ErrInvalidOption, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := New(tt.r, tt.b, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New(%v, %d) = %v, want %v", tt.r, tt.b, err, tt.want)
			}
			if err == nil && len(k.shards) != tt.shard {
				t.Errorf("shards = %d, want %d", len(k.shards), tt.shard)
			}
		})
	}
	// Both errors reported at once.
	_, err := New(-1, -1)
	if !errors.Is(err, ErrInvalidRate) || !errors.Is(err, ErrInvalidBurst) {
		t.Errorf("New(-1, -1) = %v, want both errors", err)
	}
}

func TestAllowPerKey(t *testing.T) {
	fc := newFake()
	k := mustNew(t, 1, 2, WithClock(fc.Now))
	want := []bool{true, true, false}
	for i, w := range want {
		if got := k.Allow("a"); got != w {
			t.Errorf("Allow(a) #%d = %v, want %v", i, got, w)
		}
	}
	if !k.Allow("b") {
		t.Error("Allow(b): keys are not independent")
	}
	fc.Advance(time.Second)
	if !k.Allow("a") || k.Allow("a") {
		t.Error("after 1s at 1/s exactly one more token expected")
	}
	if k.AllowN("a", 3) {
		t.Error("AllowN above burst allowed")
	}
	if k.Rate() != 1 || k.Burst() != 2 {
		t.Errorf("Rate, Burst = %v, %d", k.Rate(), k.Burst())
	}
}

func TestMaxKeysLRU(t *testing.T) {
	fc := newFake()
	k := mustNew(t, 1, 1, WithClock(fc.Now), WithMaxKeys(3))
	for _, key := range []string{"a", "b", "c"} {
		k.Allow(key) // each bucket now empty
	}
	k.Allow("a") // a most recently used; b is the LRU
	k.Allow("d") // evicts b
	if k.Len() != 3 {
		t.Fatalf("Len = %d, want 3", k.Len())
	}
	// b comes back with a full bucket; a and c were kept (still empty).
	// Allow("b") then evicts c, the LRU, so check a before it.
	if k.Allow("a") {
		t.Error("a was evicted, want kept")
	}
	if !k.Allow("b") {
		t.Error("b was kept, want evicted (LRU)")
	}
}

func TestMaxKeysSharded(t *testing.T) {
	fc := newFake()
	const maxKeys = 2000
	k := mustNew(t, 1, 1, WithClock(fc.Now), WithMaxKeys(maxKeys))
	total := 0
	for _, s := range k.shards {
		total += s.max
	}
	if total != maxKeys {
		t.Fatalf("shard bounds sum to %d, want %d", total, maxKeys)
	}
	for i := range 20 * maxKeys {
		k.Allow(fmt.Sprintf("client-%d", i))
		if i%1000 == 0 && k.Len() > maxKeys {
			t.Fatalf("Len = %d above %d", k.Len(), maxKeys)
		}
	}
	if k.Len() > maxKeys || k.Len() < maxKeys*9/10 {
		t.Errorf("Len = %d, want close to %d", k.Len(), maxKeys)
	}
}

func TestIdleEviction(t *testing.T) {
	fc := newFake()
	k := mustNew(t, 1, 1, WithClock(fc.Now), WithIdleTimeout(time.Minute), WithMaxKeys(100))
	for i := range 10 {
		k.Allow(fmt.Sprintf("k%d", i))
	}
	fc.Advance(30 * time.Second)
	k.Allow("k0") // refreshes k0
	fc.Advance(45 * time.Second)
	// k1..k9 idle 75s > 1m; k0 idle 45s.
	if n := k.Prune(); n != 9 {
		t.Errorf("Prune() = %d, want 9", n)
	}
	if k.Len() != 1 {
		t.Errorf("Len = %d, want 1", k.Len())
	}
	// Lazy eviction on use.
	fc.Advance(2 * time.Minute)
	k.Allow("new")
	if k.Len() != 1 {
		t.Errorf("Len after lazy eviction = %d, want 1", k.Len())
	}
}

func TestSetRateAndBurst(t *testing.T) {
	fc := newFake()
	k := mustNew(t, 1, 1, WithClock(fc.Now))
	k.Allow("a")
	if k.Allow("a") {
		t.Fatal("bucket should be empty")
	}
	if err := k.SetRate(10); err != nil {
		t.Fatal(err)
	}
	fc.Advance(100 * time.Millisecond)
	if !k.Allow("a") {
		t.Error("SetRate did not apply to existing key")
	}
	if err := k.SetBurst(5); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Second)
	if !k.AllowN("a", 5) {
		t.Error("SetBurst did not apply to existing key")
	}
	if !k.AllowN("fresh", 5) {
		t.Error("new key did not get the new burst")
	}
	if err := k.SetRate(-1); !errors.Is(err, ErrInvalidRate) {
		t.Errorf("SetRate(-1) = %v", err)
	}
	if err := k.SetBurst(-1); !errors.Is(err, ErrInvalidBurst) {
		t.Errorf("SetBurst(-1) = %v", err)
	}
	if k.Rate() != 10 || k.Burst() != 5 {
		t.Errorf("Rate, Burst = %v, %d; want 10, 5", k.Rate(), k.Burst())
	}
}

// TestWait runs in a synctest bubble: time is virtual, so the waits are
// exact and instant.
func TestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := mustNew(t, 10, 1) // default clock: the bubble's
		ctx := context.Background()
		start := time.Now()
		if err := k.Wait(ctx, "a"); err != nil || time.Since(start) != 0 {
			t.Fatalf("first Wait: %v after %v", err, time.Since(start))
		}
		if err := k.Wait(ctx, "a"); err != nil || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("second Wait: %v after %v, want 100ms", err, time.Since(start))
		}

		// Deadline too close: fails at once, tokens not taken.
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		before := time.Now()
		if err := k.Wait(dctx, "a"); !errors.Is(err, ErrDeadline) || time.Since(before) != 0 {
			t.Fatalf("Wait with short deadline = %v after %v", err, time.Since(before))
		}

		// n above burst.
		if err := k.WaitN(ctx, "a", 2); !errors.Is(err, ErrExceedsBurst) {
			t.Fatalf("WaitN(2) = %v, want ErrExceedsBurst", err)
		}

		// Already cancelled.
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if err := k.Wait(cctx, "a"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait(cancelled) = %v", err)
		}

		// Cancelled while waiting: returns ctx.Err and gives the token back.
		wctx, wcancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- k.Wait(wctx, "a") }()
		synctest.Wait() // the waiter is blocked on its timer
		wcancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait cancelled mid-way = %v", err)
		}
		time.Sleep(100 * time.Millisecond) // virtual time: refill one token
		if !k.Allow("a") {
			t.Error("cancelled wait did not return its token")
		}
	})
}

func TestConcurrent(t *testing.T) {
	k := mustNew(t, rate.Inf, 1, WithMaxKeys(50))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				key := fmt.Sprintf("k%d", (g*31+i)%200)
				if !k.Allow(key) {
					t.Errorf("Allow(%s) = false with infinite rate", key)
					return
				}
				if i%500 == 0 {
					_ = k.SetRate(rate.Inf)
					_ = k.SetBurst(1)
					k.Prune()
				}
			}
		})
	}
	wg.Wait()
	if k.Len() > 50 {
		t.Errorf("Len = %d above 50", k.Len())
	}
}
