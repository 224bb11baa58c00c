package balance_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/libgossip/libgossip/utils/balance"
)

var members = []balance.Member{
	{ID: "node-a", Load: 12},
	{ID: "node-b", Load: 3},
	{ID: "node-c", Load: 20, Weight: 4}, // four times the capacity: 5 per unit
	{ID: "node-d", Load: 7},
}

func ExampleBalancer_PowerOfTwo() {
	b, err := balance.New(rand.NewPCG(1, 2)) // seeded: reproducible picks
	if err != nil {
		panic(err)
	}
	for range 5 {
		m, _ := b.PowerOfTwo(members)
		fmt.Print(m.ID, " ")
	}
	fmt.Println()
	// Output: node-c node-d node-b node-b node-b
}

func ExampleBalancer_WeightedRandom() {
	b, _ := balance.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	for range 7000 {
		m, _ := b.WeightedRandom(members)
		counts[m.ID]++
	}
	// node-c has weight 4 of a total 7.
	fmt.Println(counts["node-c"] > 3800 && counts["node-c"] < 4200)
	// Output: true
}

func ExampleLeastLoaded() {
	m, err := balance.LeastLoaded(members)
	fmt.Println(m.ID, err)
	// Output: node-b <nil>
}
