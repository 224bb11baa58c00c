package kv

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/internal/vsim"
	"github.com/libgossip/libgossip/utils/clock"
)

var simSeed = flag.Uint64("kvsim.seed", 0, "run the kv simulation with this seed only")

// simMember is one member of the simulated cluster: a Store, its clock,
// and whether it is reachable.
type simMember struct {
	id    string
	store *Store
	hlc   *clock.HLC
	up    bool // running (false while crashed)
	cut   bool // partitioned away from everyone
	// collected: key -> newest tombstone version this member collected.
	collected map[string]clock.Timestamp
}

type kvSim struct {
	t       *testing.T
	sim     *vsim.Sim
	members []*simMember
	loss    float64
	// collected records every tombstone collected anywhere: key -> the
	// newest collected version. No live entry older may survive.
	collected map[string]clock.Timestamp
	ops       int
}

func newKVSim(t *testing.T, seed uint64, n int, cfg Config) *kvSim {
	s := &kvSim{t: t, sim: vsim.New(seed), collected: map[string]clock.Timestamp{}}
	for i := range n {
		m := &simMember{id: fmt.Sprintf("m%d", i), up: true}
		s.members = append(s.members, m)
		s.reset(m, cfg)
	}
	return s
}

func (s *kvSim) reset(m *simMember, cfg Config) {
	m.collected = map[string]clock.Timestamp{}
	st, err := NewStore(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	m.store = st
	m.hlc, _ = clock.New(clock.Config{Physical: func() time.Time { return s.sim.Now }, MaxSkew: time.Hour})
}

func (s *kvSim) reachable(a, b *simMember) bool { return a.up && b.up && !a.cut && !b.cut }

// deliver runs fn after a latency unless the message is lost or the link
// is down at either end (checked again on arrival).
func (s *kvSim) deliver(a, b *simMember, fn func()) {
	if !s.reachable(a, b) || s.sim.Chance(s.loss) {
		return
	}
	s.sim.After(time.Duration(5+s.sim.Rand.IntN(45))*time.Millisecond, func() {
		if s.reachable(a, b) {
			fn()
		}
	})
}

func (s *kvSim) write(m *simMember, key string, del bool) {
	e := Entry{Key: key, Version: m.hlc.Now(), Origin: m.id, Deleted: del}
	if !del {
		e.Value = fmt.Appendf(nil, "%s@%d", m.id, s.ops)
	}
	if err := m.store.Write(e); err != nil {
		s.t.Fatalf("write: %v", err)
	}
	s.ops++
	for _, o := range s.members {
		if o != m {
			s.deliver(m, o, func() {
				o.hlc.Update(e.Version)
				o.store.Merge(e)
			})
		}
	}
}

// sync runs the three legs of an exchange, each of which may be lost.
func (s *kvSim) sync(a, b *simMember) {
	d := a.store.Digest()
	s.deliver(a, b, func() {
		rp := b.store.Reconcile(d)
		s.deliver(b, a, func() {
			p, _ := a.store.ApplyReply(rp)
			s.deliver(a, b, func() { b.store.ApplyPush(p) })
		})
	})
}

func (s *kvSim) gc(m *simMember) {
	before := map[string]Entry{}
	for _, de := range m.store.Digest().Entries {
		if de.Deleted {
			before[de.Key] = de.entry()
		}
	}
	m.store.GC(s.sim.Now)
	for k, e := range before {
		if _, still := m.store.entries[k]; !still {
			if s.collected[k].Before(e.Version) {
				s.collected[k] = e.Version
			}
			if m.collected[k].Before(e.Version) {
				m.collected[k] = e.Version
			}
		}
	}
}

// checkNoResurrection: a member that collected a tombstone never again
// holds a live entry older than it; at the end (final), no member holds
// a live entry older than a tombstone collected anywhere.
func (s *kvSim) checkNoResurrection(final bool) {
	for _, m := range s.members {
		seen := m.collected
		if final {
			seen = s.collected
		}
		for k, v := range seen {
			e, ok := m.store.Get(k)
			if ok && e.Version.Before(v) {
				s.t.Fatalf("t=%v: %s holds %q@%v, deleted and collected at %v", s.sim.Now.Sub(vsim.Epoch), m.id, k, e.Version, v)
			}
		}
	}
}

func (d DigestEntry) entry() Entry {
	return Entry{Key: d.Key, Version: d.Version, Origin: d.Origin, Deleted: d.Deleted}
}

// TestSimConvergence is the acceptance run in virtual time: 1,000 random
// puts and deletes on 5 members under 10% loss of every message, one
// member crashed and restarted empty midway, another partitioned for
// longer than the grace period (it keeps its stale state), tombstones
// collected all along. At the end every member holds the identical map
// (equal hashes) and no collected deletion was undone.
func TestSimConvergence(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if *simSeed != 0 {
		seeds = []uint64{*simSeed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runKVSim(t, seed) })
	}
}

func runKVSim(t *testing.T, seed uint64) {
	cfg := Config{Grace: 2 * time.Minute}
	s := newKVSim(t, seed, 5, cfg)
	s.loss = 0.10
	sim := s.sim
	for _, m := range s.members {
		sim.Every(5*time.Second, time.Second, func() bool {
			if m.up {
				o := s.members[sim.Rand.IntN(len(s.members))]
				if o != m {
					s.sync(m, o)
				}
			}
			return true
		})
		sim.Every(30*time.Second, 5*time.Second, func() bool {
			if m.up {
				s.gc(m)
			}
			return true
		})
	}
	// 1,000 operations, one every 600ms: 10 virtual minutes.
	n := 0
	sim.Every(600*time.Millisecond, 0, func() bool {
		m := s.members[sim.Rand.IntN(len(s.members))]
		if m.up {
			s.write(m, fmt.Sprintf("key/%02d", sim.Rand.IntN(40)), sim.Chance(0.3))
			n++
		}
		return n < 1000
	})
	// m1 crashes at 3m and restarts empty at 6m; m2 is cut off from 4m
	// to 7m30s, longer than the grace period, and keeps its state.
	sim.After(3*time.Minute, func() { s.members[1].up = false })
	sim.After(6*time.Minute, func() { s.reset(s.members[1], cfg); s.members[1].up = true })
	sim.After(4*time.Minute, func() { s.members[2].cut = true })
	sim.After(7*time.Minute+30*time.Second, func() { s.members[2].cut = false })
	sim.Every(time.Second, 0, func() bool { s.checkNoResurrection(false); return sim.Now.Before(vsim.Epoch.Add(20 * time.Minute)) })
	for n < 1000 {
		sim.RunFor(time.Minute)
		if sim.Now.After(vsim.Epoch.Add(time.Hour)) {
			t.Fatalf("only %d operations ran", n)
		}
	}
	// Quiet: no loss, no writes; long enough for every tombstone to be
	// collected everywhere and anti-entropy to settle.
	s.loss = 0
	sim.RunFor(cfg.Grace + 3*time.Minute)
	// Collect at one instant everywhere: a tombstone a member took back
	// from a message in flight just before its own collection would
	// otherwise linger until its next round.
	for _, m := range s.members {
		s.gc(m)
	}
	s.checkNoResurrection(true)
	want := s.members[0].store.Hash()
	for _, m := range s.members[1:] {
		if got := m.store.Hash(); got != want {
			t.Fatalf("seed %d: %s hash %x, m0 %x\n m0 %v\n %s %v", seed, m.id, got, want,
				s.members[0].store.Digest().Entries, m.id, m.store.Digest().Entries)
		}
	}
	var collected, dropped uint64
	for _, m := range s.members {
		collected += m.store.Stats().Collected
		dropped += m.store.Stats().Dropped + m.store.Stats().BelowHorizon
	}
	if collected == 0 || len(s.collected) == 0 {
		t.Errorf("no tombstone was collected: the run does not test GC")
	}
	t.Logf("seed %d: %d ops, %d live keys, %d tombstones collected, %d stale copies refused or dropped, hash %x",
		seed, s.ops, len(s.members[0].store.List("")), collected, dropped, want)
}
