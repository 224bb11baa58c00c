package hashring_test

import (
	"fmt"

	"github.com/libgossip/libgossip/utils/hashring"
)

func ExampleRing() {
	r, err := hashring.New(hashring.Config{VirtualNodes: 100})
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"node-a", "node-b", "node-c"} {
		if err := r.Add(id); err != nil {
			panic(err)
		}
	}
	owner, _ := r.Get("user:42")
	replicas, _ := r.GetN("user:42", 2)
	fmt.Println(owner, replicas)
	// Output: node-c [node-c node-a]
}

func ExampleBounded() {
	b, err := hashring.NewBounded(hashring.BoundedConfig{Epsilon: 0.25})
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		_ = b.Add(id)
	}
	for i := range 12 {
		_, _ = b.Assign(fmt.Sprintf("job-%d", i))
	}
	// No member holds more than ceil(1.25 × 12/3) = 5 keys; the next
	// Assign may go up to ceil(1.25 × 13/3) = 6.
	fmt.Println(b.Loads(), b.Bound())
	// Output: map[a:4 b:4 c:4] 6
}

func ExampleRendezvous() {
	r := hashring.NewRendezvous()
	_ = r.Add("x")
	_ = r.Add("y")
	_ = r.AddWeighted("z", 2)
	owner, _ := r.Get("session-7")
	fmt.Println(owner)
	// Output: z
}

func ExampleJump() {
	shard, err := hashring.Jump(hashring.HashKey("user:42"), 16)
	fmt.Println(shard, err)
	// Output: 12 <nil>
}
