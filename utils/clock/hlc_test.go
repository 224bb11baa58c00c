package clock

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable physical clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

var epoch = time.Unix(1_700_000_000, 0)

func newHLC(t testing.TB, fc *fakeClock, skew time.Duration) *HLC {
	t.Helper()
	c, err := New(Config{Physical: fc.Now, MaxSkew: skew})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ts(wall int64, logical uint32) Timestamp { return Timestamp{Wall: wall, Logical: logical} }

func TestNewConfig(t *testing.T) {
	if _, err := New(Config{MaxSkew: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New(MaxSkew=-1) = %v, want ErrInvalidConfig", err)
	}
	c, err := New(Config{})
	if err != nil || c.maxSkew != DefaultMaxSkew {
		t.Fatalf("New(zero) = %v, maxSkew %v", err, c.maxSkew)
	}
	// Default physical clock is the real one.
	if now := c.Now(); now.Wall <= epoch.UnixNano() {
		t.Errorf("Now() = %v, want after %v", now, epoch)
	}
}

func TestNow(t *testing.T) {
	fc := &fakeClock{now: epoch}
	c := newHLC(t, fc, 0)
	w := epoch.UnixNano()
	steps := []struct {
		phys time.Time
		want Timestamp
	}{
		{epoch, ts(w, 0)},
		{epoch, ts(w, 1)},                        // clock stalled: logical ticks
		{epoch.Add(-time.Second), ts(w, 2)},      // clock went back: never backwards
		{epoch.Add(time.Nanosecond), ts(w+1, 0)}, // clock moved on: logical resets
		{time.Unix(0, -5), ts(w+1, 1)},           // before the epoch: clamped
	}
	for i, s := range steps {
		fc.Set(s.phys)
		if got := c.Now(); got != s.want {
			t.Errorf("step %d: Now() = %v, want %v", i, got, s.want)
		}
	}
	if c.Last() != ts(w+1, 1) {
		t.Errorf("Last() = %v", c.Last())
	}
}

func TestLogicalOverflow(t *testing.T) {
	fc := &fakeClock{now: epoch}
	c := newHLC(t, fc, 0)
	w := epoch.UnixNano()
	got, err := c.Update(ts(w, math.MaxUint32))
	if err != nil || got != ts(w+1, 0) {
		t.Fatalf("Update(max logical) = %v, %v; want %v", got, err, ts(w+1, 0))
	}
}

func TestUpdate(t *testing.T) {
	w := epoch.UnixNano()
	tests := []struct {
		name   string
		last   Timestamp // state before, set via Update from a remote equal to it
		phys   time.Time
		remote Timestamp
		want   Timestamp
	}{
		{"physical wins", ts(w-10, 3), epoch, ts(w-5, 9), ts(w, 0)},
		{"remote ahead", ts(w-10, 3), epoch, ts(w+100, 7), ts(w+100, 8)},
		{"local ahead", ts(w+200, 4), epoch, ts(w+100, 9), ts(w+200, 5)},
		{"equal walls", ts(w+50, 4), epoch, ts(w+50, 9), ts(w+50, 10)},
		{"equal walls local higher", ts(w+50, 12), epoch, ts(w+50, 9), ts(w+50, 13)},
		{"negative remote", ts(w, 0), epoch, ts(math.MinInt64, 0), ts(w, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeClock{now: time.Unix(0, tt.last.Wall)}
			c := newHLC(t, fc, time.Second)
			if tt.last.Logical > 0 {
				if _, err := c.Update(ts(tt.last.Wall, tt.last.Logical-1)); err != nil {
					t.Fatal(err)
				}
			} else {
				c.Now()
			}
			if c.Last() != tt.last {
				t.Fatalf("setup: Last() = %v, want %v", c.Last(), tt.last)
			}
			fc.Set(tt.phys)
			got, err := c.Update(tt.remote)
			if err != nil || got != tt.want {
				t.Errorf("Update(%v) with last %v, physical %d = %v, %v; want %v",
					tt.remote, tt.last, tt.phys.UnixNano(), got, err, tt.want)
			}
		})
	}
}

func TestUpdateSkew(t *testing.T) {
	fc := &fakeClock{now: epoch}
	c := newHLC(t, fc, 100*time.Millisecond)
	before := c.Now()
	remote := Timestamp{Wall: epoch.Add(150 * time.Millisecond).UnixNano()}
	got, err := c.Update(remote)
	if !errors.Is(err, ErrSkew) {
		t.Fatalf("Update(150ms ahead) err = %v, want ErrSkew", err)
	}
	var se *SkewError
	if !errors.As(err, &se) || se.Offset != 150*time.Millisecond || se.MaxSkew != 100*time.Millisecond || se.Remote != remote {
		t.Fatalf("SkewError = %+v", se)
	}
	if got != (Timestamp{}) || c.Last() != before {
		t.Errorf("refused remote was adopted: got %v, last %v, before %v", got, c.Last(), before)
	}
	if se.Error() == "" {
		t.Error("empty error text")
	}
	// Exactly at the bound is accepted.
	remote.Wall = epoch.Add(100 * time.Millisecond).UnixNano()
	if got, err := c.Update(remote); err != nil || got != ts(remote.Wall, 1) {
		t.Errorf("Update(at bound) = %v, %v", got, err)
	}
}

// TestCausality simulates message passing between nodes with skewed,
// drifting clocks: every receive is after its send, and every node's
// timestamps strictly increase.
func TestCausality(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const nodes = 5
	clocks := make([]*fakeClock, nodes)
	hlcs := make([]*HLC, nodes)
	last := make([]Timestamp, nodes)
	for i := range nodes {
		clocks[i] = &fakeClock{now: epoch.Add(time.Duration(rng.IntN(50)) * time.Millisecond)}
		hlcs[i] = newHLC(t, clocks[i], time.Second)
	}
	for step := range 5000 {
		i := rng.IntN(nodes)
		// Physical clocks wander, sometimes backwards.
		clocks[i].Set(clocks[i].Now().Add(time.Duration(rng.IntN(2000)-500) * time.Microsecond))
		sent := hlcs[i].Now()
		if !last[i].Before(sent) {
			t.Fatalf("step %d: node %d Now %v not after %v", step, i, sent, last[i])
		}
		j := rng.IntN(nodes)
		recv, err := hlcs[j].Update(sent)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if !sent.Before(recv) || !last[j].Before(recv) {
			t.Fatalf("step %d: receive %v not after send %v / last %v", step, recv, sent, last[j])
		}
		last[i], last[j] = max2(last[i], sent), recv
	}
}

func max2(a, b Timestamp) Timestamp {
	if a.Before(b) {
		return b
	}
	return a
}

func TestConcurrentNow(t *testing.T) {
	c, _ := New(Config{})
	var wg sync.WaitGroup
	results := make([][]Timestamp, 4)
	for g := range results {
		wg.Go(func() {
			for range 1000 {
				results[g] = append(results[g], c.Now())
			}
		})
	}
	wg.Wait()
	seen := map[Timestamp]bool{}
	for _, rs := range results {
		for i, r := range rs {
			if seen[r] {
				t.Fatalf("duplicate timestamp %v", r)
			}
			seen[r] = true
			if i > 0 && !rs[i-1].Before(r) {
				t.Fatalf("not increasing: %v then %v", rs[i-1], r)
			}
		}
	}
}

func TestTimestampMethods(t *testing.T) {
	a, b := ts(5, 1), ts(5, 2)
	cases := []struct {
		x, y Timestamp
		want int
	}{
		{a, b, -1}, {b, a, 1}, {a, a, 0}, {ts(4, 9), a, -1}, {ts(6, 0), a, 1},
	}
	for _, c := range cases {
		if got := c.x.Compare(c.y); got != c.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", c.x, c.y, got, c.want)
		}
	}
	if !(Timestamp{}).IsZero() || a.IsZero() {
		t.Error("IsZero wrong")
	}
	if got := ts(1_500_000_000, 3).String(); got != "1500000000.3" {
		t.Errorf("String() = %q", got)
	}
	if got := ts(epoch.UnixNano(), 0).Time(); !got.Equal(epoch) {
		t.Errorf("Time() = %v, want %v", got, epoch)
	}
}

func TestEncoding(t *testing.T) {
	tests := []Timestamp{{}, ts(1, 2), ts(epoch.UnixNano(), 77), ts(math.MaxInt64, math.MaxUint32)}
	var prev []byte
	for _, want := range tests {
		b, err := want.MarshalBinary()
		if err != nil || len(b) != EncodedLen {
			t.Fatalf("Marshal(%v) = %x, %v", want, b, err)
		}
		var got Timestamp
		if err := got.UnmarshalBinary(b); err != nil || got != want {
			t.Fatalf("round trip %v -> %x -> %v, %v", want, b, got, err)
		}
		if prev != nil && bytes.Compare(prev, b) >= 0 {
			t.Errorf("encoding not order-preserving at %v", want)
		}
		prev = b
	}
	if _, err := ts(-1, 0).MarshalBinary(); !errors.Is(err, ErrInvalidEncoding) {
		t.Errorf("Marshal(negative) = %v", err)
	}
	bad := [][]byte{nil, make([]byte, 11), make([]byte, 13), {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	for _, b := range bad {
		got := ts(9, 9)
		if err := got.UnmarshalBinary(b); !errors.Is(err, ErrInvalidEncoding) || got != ts(9, 9) {
			t.Errorf("Unmarshal(%x) = %v, %v; want ErrInvalidEncoding and no change", b, got, err)
		}
	}
}
