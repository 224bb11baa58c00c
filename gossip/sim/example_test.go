package sim_test

import (
	"fmt"
	"time"

	"github.com/libgossip/libgossip/gossip/sim"
)

// A 50-member cluster in virtual time: one member crashes and every other
// member declares it failed. The same seed always gives the same figures.
func ExampleRunScenario() {
	r, err := sim.RunScenario(sim.Options{Scenario: sim.ScenarioDetect, Nodes: 50, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("detected by %d members, first suspicion after %.1fs, all within %.1fs, %d false failures\n",
		r.Detect.N, r.FirstSuspect, r.Detect.Max, r.FalseFailures)
	// Output: detected by 49 members, first suspicion after 1.3s, all within 3.7s, 0 false failures
}

// Driving the simulator by hand: form a cluster, cut it in two, heal it.
func ExampleSim() {
	s, _ := sim.New(sim.Config{Seed: 3})
	for i := range 6 {
		s.Add(sim.NodeID(i), nil)
		if i > 0 {
			s.Join(i, sim.NodeID(0))
		}
	}
	formed := s.RunUntil(s.Now().Add(time.Minute), s.Converged)
	s.Partition(func(i int) int { return i % 2 })
	s.RunFor(30 * time.Second)
	split := !s.Converged()
	s.Heal()
	healed := s.RunUntil(s.Now().Add(time.Minute), s.Converged)
	fmt.Println(formed, split, healed)
	// Output: true true true
}
