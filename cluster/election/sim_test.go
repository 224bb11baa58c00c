package election

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
)

var simSeed = flag.Uint64("seed", 0, "replay one election simulation seed")

// simMember is one member of the simulated cluster.
type simMember struct {
	id        string
	rank      int
	alive     bool
	group     int
	m         *Machine
	published uint64 // the token others see (one step behind)
	lease     Lease
}

// TestElectionSimulation runs seeded random histories of partitions,
// heals, crashes and restarts over the pure rule and checks, after every
// step:
//   - members that see the same live candidates agree on the leader, and
//     exactly one of them believes it leads;
//   - no member's token ever decreases while it lives;
//   - a member taking the lead issues a token above every token it sees;
//   - no two members ever issue the same token;
//   - in a connected cluster, a leader whose token had time to spread
//     (two steps) is followed by one with a higher token;
//   - after the final heal, everyone agrees and the leader's token is the
//     highest anyone holds.
//
// A failure names its seed; replay it with -seed.
func TestElectionSimulation(t *testing.T) {
	seeds := []uint64{}
	if *simSeed != 0 {
		seeds = append(seeds, *simSeed)
	} else {
		for s := uint64(1); s <= 200; s++ {
			seeds = append(seeds, s)
		}
	}
	for _, seed := range seeds {
		if err := simulate(seed, 300); err != nil {
			t.Fatalf("seed %d: %v (replay with -seed=%d)", seed, err, seed)
		}
	}
}

func simulate(seed uint64, steps int) error {
	rng := rand.New(rand.NewPCG(seed, 0xe1ec7))
	ms := make([]*simMember, 7)
	for i := range ms {
		ms[i] = &simMember{id: fmt.Sprintf("m%d", i), rank: rng.IntN(3), alive: true, m: NewMachine(fmt.Sprintf("m%d", i), 0)}
	}
	connected := func() bool {
		for _, m := range ms {
			if m.group != 0 {
				return false
			}
		}
		return true
	}
	issuedBy := map[uint64]string{} // every token issued, by whom
	var lastLeader string
	var lastToken uint64
	stable := 0 // steps lastLeader has held lastToken in a connected cluster
	for step := 0; step < steps; step++ {
		final := step >= steps-5
		changed := false
		if !final {
			switch r := rng.IntN(10); {
			case r == 0: // partition into up to three groups
				for _, m := range ms {
					m.group = rng.IntN(3)
				}
				changed = true
			case r == 1: // heal
				for _, m := range ms {
					m.group = 0
				}
				changed = true
			case r == 2: // crash one
				m := ms[rng.IntN(len(ms))]
				if m.alive {
					m.alive = false
					changed = true
				}
			case r == 3: // restart one, with no memory
				m := ms[rng.IntN(len(ms))]
				if !m.alive {
					m.alive, m.m, m.published, m.lease = true, NewMachine(m.id, 0), 0, Lease{}
					changed = true
				}
			}
		} else {
			for _, m := range ms {
				m.group = 0
			}
		}
		// Every live member updates from what it sees.
		for _, m := range ms {
			if !m.alive {
				continue
			}
			var view []Candidate
			var maxOther uint64
			for _, o := range ms {
				if o.alive && o.group == m.group {
					view = append(view, Candidate{ID: o.id, Rank: o.rank, Token: o.published})
					if o != m {
						maxOther = max(maxOther, o.published)
					}
				}
			}
			before, wasLeading := m.m.Token(), m.lease.Self
			m.lease = m.m.Update(view)
			if m.m.Token() < before {
				return fmt.Errorf("step %d: %s token went from %d to %d", step, m.id, before, m.m.Token())
			}
			if m.lease.Self && !wasLeading && m.lease.Token <= maxOther {
				return fmt.Errorf("step %d: %s took the lead with token %d, but sees %d", step, m.id, m.lease.Token, maxOther)
			}
			if m.lease.Self && m.m.Token() != before {
				if by, ok := issuedBy[m.m.Token()]; ok && by != m.id {
					return fmt.Errorf("step %d: %s issued token %x, already issued by %s", step, m.id, m.m.Token(), by)
				}
				issuedBy[m.m.Token()] = m.id
			}
		}
		// Per view: one leader, agreed by everyone in it.
		groups := map[int][]*simMember{}
		for _, m := range ms {
			if m.alive {
				groups[m.group] = append(groups[m.group], m)
			}
		}
		for g, mem := range groups {
			selfs := 0
			for _, m := range mem {
				if m.lease.Leader != mem[0].lease.Leader {
					return fmt.Errorf("step %d: group %d disagrees: %s sees %q, %s sees %q", step, g, m.id, m.lease.Leader, mem[0].id, mem[0].lease.Leader)
				}
				if m.lease.Self {
					selfs++
				}
			}
			if selfs != 1 {
				return fmt.Errorf("step %d: group %d has %d self-leaders", step, g, selfs)
			}
		}
		// Connected cluster: successive leaders' tokens grow.
		if connected() && len(groups) == 1 {
			var cur *simMember
			for _, m := range ms {
				if m.alive && m.lease.Self {
					cur = m
				}
			}
			if cur != nil {
				if cur.id != lastLeader {
					if stable >= 2 && cur.lease.Token <= lastToken {
						return fmt.Errorf("step %d: %s leads with token %d after %s held %d", step, cur.id, cur.lease.Token, lastLeader, lastToken)
					}
					lastLeader, stable = cur.id, 0
				} else if cur.lease.Token != lastToken {
					stable = 0 // a new token needs time to spread
				}
				lastToken = cur.lease.Token
				stable++
			}
		} else if changed {
			stable = 0
			lastLeader = ""
		}
		for _, m := range ms {
			if m.alive {
				m.published = m.m.Token()
			}
		}
	}
	// After the heal: one leader, holding the highest token.
	var leader *simMember
	var highest uint64
	for _, m := range ms {
		if m.alive {
			highest = max(highest, m.m.Token())
			if m.lease.Self {
				leader = m
			}
		}
	}
	if leader == nil {
		return nil // everyone crashed
	}
	if leader.lease.Token != highest {
		return fmt.Errorf("after heal: leader %s holds %d, highest token %d", leader.id, leader.lease.Token, highest)
	}
	for _, m := range ms {
		if m.alive && (m.lease.Leader != leader.id || m.lease.Token != leader.lease.Token) {
			return fmt.Errorf("after heal: %s sees %+v, leader %s has %d", m.id, m.lease, leader.id, leader.lease.Token)
		}
	}
	return nil
}
