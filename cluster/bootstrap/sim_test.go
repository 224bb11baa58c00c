package bootstrap

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/internal/vsim"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/core"
)

var simSeed = flag.Uint64("rejoinsim.seed", 0, "run the rejoin simulation with this seed only")

// simNode is a gossip core and its rejoin machine in virtual time.
type simNode struct {
	id, addr string
	c        *core.Core
	rj       *Rejoin
	gen      int
	wake     time.Time
}

type rejoinSim struct {
	t     *testing.T
	sim   *vsim.Sim
	nodes map[string]*simNode
	order []*simNode
	side  map[string]int // partition side of each address; -1 for none
	split bool
	loss  float64
	joins int
}

func newRejoinSim(t *testing.T, seed uint64, n int, interval time.Duration) *rejoinSim {
	s := &rejoinSim{t: t, sim: vsim.New(seed), nodes: map[string]*simNode{}, side: map[string]int{}}
	for i := range n {
		id := fmt.Sprintf("n%02d", i)
		cfg := core.LocalConfig()
		cfg.ID, cfg.Addr = id, id+":7946"
		// The gossip layer's own repair is off: no periodic push-pull,
		// no reconnect exchanges with failed members.
		cfg.PushPullInterval = -1
		cfg.ReconnectInterval = -1
		cfg.Rand = rand.NewPCG(seed, uint64(i))
		c, err := core.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rj, err := NewRejoin(RejoinConfig{Self: id, Interval: interval, Rand: rand.NewPCG(seed, uint64(100+i))})
		if err != nil {
			t.Fatal(err)
		}
		nd := &simNode{id: id, addr: cfg.Addr, c: c, rj: rj}
		s.nodes[nd.addr] = nd
		s.order = append(s.order, nd)
		s.side[nd.addr] = i % 2
	}
	return s
}

func (s *rejoinSim) connected(a, b string) bool { return !s.split || s.side[a] == s.side[b] }

func (s *rejoinSim) flush(n *simNode) {
	rd := n.c.Ready()
	for _, m := range rd.Messages {
		to := m.To
		if !s.connected(n.addr, to) || (!m.Reliable && s.sim.Chance(s.loss)) {
			continue
		}
		data, from := m.Data, n.addr
		s.sim.After(time.Duration(1+s.sim.Rand.IntN(4))*time.Millisecond, func() {
			if dst := s.nodes[to]; dst != nil && s.connected(from, to) {
				_ = dst.c.HandleMessage(s.sim.Now, from, data)
				s.flush(dst)
			}
		})
	}
	for _, e := range rd.Events {
		if e.Type != core.EventUser {
			n.rj.Observe(s.sim.Now, e.Member)
		}
	}
	s.schedule(n)
}

func (s *rejoinSim) schedule(n *simNode) {
	d := n.c.NextDeadline()
	if r := n.rj.NextDeadline(); !r.IsZero() && (d.IsZero() || r.Before(d)) {
		d = r
	}
	if d.IsZero() || (!n.wake.IsZero() && !n.wake.After(d) && n.wake.After(s.sim.Now)) {
		return
	}
	n.gen++
	g := n.gen
	n.wake = d
	s.sim.At(d, func() {
		if g != n.gen {
			return
		}
		n.wake = time.Time{}
		n.c.Tick(s.sim.Now)
		if addrs := n.rj.Tick(s.sim.Now, live(n.c)); len(addrs) > 0 {
			s.joins++
			_ = n.c.Join(s.sim.Now, addrs)
		}
		s.flush(n)
	})
}

func live(c *core.Core) []gossip.NodeView {
	var out []gossip.NodeView
	for _, v := range c.Members() {
		if v.State <= core.StateSuspect {
			out = append(out, v)
		}
	}
	return out
}

func (s *rejoinSim) whole() bool {
	for _, n := range s.order {
		if len(live(n.c)) != len(s.order) {
			return false
		}
	}
	return true
}

func (s *rejoinSim) split2() bool {
	for _, n := range s.order {
		if len(live(n.c)) != (len(s.order)+1-s.side[n.addr])/2 {
			return false
		}
	}
	return true
}

// TestSimPartitionRejoin is the acceptance run in virtual time: 10
// members with the gossip layer's push-pull and reconnect exchanges
// disabled form, are split into halves for 60 s (each half declares the
// other failed), and after the heal the periodic rejoin makes the
// membership whole within 2 rejoin intervals.
func TestSimPartitionRejoin(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	if *simSeed != 0 {
		seeds = []uint64{*simSeed}
	}
	const interval = 10 * time.Second
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			s := newRejoinSim(t, seed, 10, interval)
			s.loss = 0.05
			first := s.order[0]
			for _, n := range s.order {
				n.c.Tick(s.sim.Now)
				if n != first {
					_ = n.c.Join(s.sim.Now, []string{first.addr})
				}
				s.flush(n)
			}
			s.sim.RunFor(20*time.Second + time.Duration(s.sim.Rand.Int64N(int64(interval))))
			if !s.whole() {
				t.Fatalf("seed %d: did not form", seed)
			}
			s.split = true
			s.sim.RunFor(60 * time.Second)
			if !s.split2() {
				t.Fatalf("seed %d: halves did not see each other failed after 60s", seed)
			}
			s.split = false
			healed := s.sim.Now
			joins := s.joins
			for !s.whole() {
				s.sim.RunFor(100 * time.Millisecond)
				if s.sim.Now.Sub(healed) > 2*interval {
					t.Fatalf("seed %d: not whole %v after the heal (2 rejoin intervals)", seed, s.sim.Now.Sub(healed))
				}
			}
			t.Logf("seed %d: whole %v after the heal, %d rejoin rounds", seed, s.sim.Now.Sub(healed), s.joins-joins)
		})
	}
}

// TestSimNoRejoinStaysSplit is the control: without the rejoin rounds,
// the same partition stays split (the gossip layer's repair is off).
func TestSimNoRejoinStaysSplit(t *testing.T) {
	s := newRejoinSim(t, 1, 10, 10*time.Second)
	for _, n := range s.order {
		n.rj.cfg.Fanout = 0 // rounds run but name no one
	}
	first := s.order[0]
	for _, n := range s.order {
		n.c.Tick(s.sim.Now)
		if n != first {
			_ = n.c.Join(s.sim.Now, []string{first.addr})
		}
		s.flush(n)
	}
	s.sim.RunFor(20 * time.Second)
	s.split = true
	s.sim.RunFor(60 * time.Second)
	s.split = false
	s.sim.RunFor(60 * time.Second)
	if s.whole() {
		t.Error("whole without rejoin: the partition test would prove nothing")
	}
}
