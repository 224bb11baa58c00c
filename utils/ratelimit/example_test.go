package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/utils/ratelimit"
)

func ExampleKeyed() {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now } // injected for the example

	// 2 requests per second per peer, bursts of 3, at most 1,000 peers.
	lim, err := ratelimit.New(2, 3, ratelimit.WithMaxKeys(1000), ratelimit.WithClock(clock))
	if err != nil {
		panic(err)
	}
	for range 4 {
		fmt.Print(lim.Allow("10.0.0.1:7946"), " ")
	}
	fmt.Println(lim.Allow("10.0.0.2:7946"))

	now = now.Add(500 * time.Millisecond) // one token refilled
	fmt.Println(lim.Allow("10.0.0.1:7946"), lim.Allow("10.0.0.1:7946"))

	_ = lim.SetRate(rate.Inf) // lift the limit at runtime, for existing keys too
	fmt.Println(lim.Allow("10.0.0.1:7946"))
	// Output:
	// true true true false true
	// true false
	// true
}

func ExampleKeyed_Wait() {
	lim, _ := ratelimit.New(rate.Every(time.Millisecond), 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for range 3 {
		if err := lim.Wait(ctx, "client-a"); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("sent 3")
	// Output: sent 3
}
