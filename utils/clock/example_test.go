package clock_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/libgossip/libgossip/utils/clock"
)

func ExampleHLC() {
	now := time.Unix(1_700_000_000, 0)
	c, err := clock.New(clock.Config{
		Physical: func() time.Time { return now }, // injected for the example
		MaxSkew:  time.Second,
	})
	if err != nil {
		panic(err)
	}
	a := c.Now()
	b := c.Now() // same physical tick: the logical part orders them
	fmt.Println(a, b)

	// A message stamped slightly in the future is adopted...
	got, _ := c.Update(clock.Timestamp{Wall: now.Add(200 * time.Millisecond).UnixNano(), Logical: 4})
	fmt.Println(got)

	// ...one from a peer whose clock is an hour ahead is refused.
	_, err = c.Update(clock.Timestamp{Wall: now.Add(time.Hour).UnixNano()})
	var skew *clock.SkewError
	fmt.Println(errors.Is(err, clock.ErrSkew), errors.As(err, &skew) && skew.Offset == time.Hour)
	// Output:
	// 1700000000000000000.0 1700000000000000000.1
	// 1700000000200000000.5
	// true true
}

func ExampleTimestamp_MarshalBinary() {
	ts := clock.Timestamp{Wall: 1_700_000_000_000_000_000, Logical: 7}
	b, _ := ts.MarshalBinary()
	var back clock.Timestamp
	err := back.UnmarshalBinary(b)
	fmt.Printf("%d bytes %x %v %v\n", len(b), b, back, err)
	// Output: 12 bytes 17979cfe362a000000000007 1700000000000000000.7 <nil>
}

func ExampleEstimator() {
	e, _ := clock.NewEstimator(clock.EstimatorConfig{Window: 8})
	t0 := time.Unix(1_700_000_000, 0)
	// The peer's clock is 30ms ahead; the reply path is slower on the
	// first round trip.
	_ = e.Add("peer-1", clock.Sample{
		T0: t0,
		T1: t0.Add(30*time.Millisecond + 2*time.Millisecond),
		T2: t0.Add(30*time.Millisecond + 3*time.Millisecond),
		T3: t0.Add(15 * time.Millisecond),
	})
	_ = e.Add("peer-1", clock.Sample{
		T0: t0.Add(time.Second),
		T1: t0.Add(time.Second + 30*time.Millisecond + 2*time.Millisecond),
		T2: t0.Add(time.Second + 30*time.Millisecond + 3*time.Millisecond),
		T3: t0.Add(time.Second + 5*time.Millisecond),
	})
	est, _ := e.Offset("peer-1")
	fmt.Printf("offset %v ± %v from %d samples\n", est.Offset, est.Uncertainty, est.Samples)
	// Output: offset 30ms ± 2ms from 2 samples
}
