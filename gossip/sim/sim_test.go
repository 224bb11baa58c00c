package sim

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
)

var (
	update = flag.Bool("update", false, "rewrite golden files in testdata")
	seed   = flag.Uint64("seed", 0, "replay the property runs with this seed only")
)

func mustRun(t *testing.T, o Options) Result {
	t.Helper()
	r, err := RunScenario(o)
	if err != nil {
		t.Fatalf("seed %d: %v (replay with -seed %d)", o.Seed, err, o.Seed)
	}
	return r
}

// TestLargeCluster is the acceptance run: 1,000 members on the LAN preset
// with no loss converge from one seed, a crashed member is declared failed
// by every live member, and a metadata change reaches every member.
func TestLargeCluster(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded simulation: make test runs it without -race (gossip/test-extra.sh)")
	}
	if testing.Short() {
		t.Skip("long simulation")
	}
	const n = 1000
	s, err := New(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	conv, ok := formCluster(s, n, 5*time.Minute)
	if !ok {
		t.Fatalf("%d members did not converge", n)
	}
	r := Result{}
	if !runDetect(s, &r, 500, 2*time.Minute) {
		t.Fatal("crash not detected by every live member")
	}
	if r.Detect.N != n-1 {
		t.Errorf("%d failure declarations, want %d", r.Detect.N, n-1)
	}
	if !runMeta(s, &r, 7, 2*time.Minute) {
		t.Fatal("metadata change did not reach every member")
	}
	t.Logf("converge max %v, detect p50 %.2fs max %.2fs, meta max %.2fs",
		maxDur(conv), r.Detect.P50, r.Detect.Max, r.Meta.Max)
}

func maxDur(xs []time.Duration) time.Duration {
	var m time.Duration
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// TestNoFalseFailuresUnderLoss: 10% uniform loss on 200 members for 30
// virtual minutes, and no live member is ever declared failed.
func TestNoFalseFailuresUnderLoss(t *testing.T) {
	if raceEnabled {
		t.Skip("single-threaded simulation: make test runs it without -race (gossip/test-extra.sh)")
	}
	if testing.Short() {
		t.Skip("long simulation")
	}
	r := mustRun(t, Options{Scenario: ScenarioFalsePos, Nodes: 200, Seed: 1, Loss: 0.1, Duration: 30 * time.Minute})
	if r.FalseFailures != 0 {
		t.Fatalf("%d false failure declarations", r.FalseFailures)
	}
}

// TestPartitionHeals: after a 60-second partition into halves heals,
// membership is whole again.
func TestPartitionHeals(t *testing.T) {
	for _, seed := range []uint64{1, 2}[:seedsUnderRace(2, 1)] {
		r := mustRun(t, Options{Scenario: ScenarioPartition, Nodes: 64, Seed: seed, Duration: time.Minute, Limit: 3 * time.Minute})
		if !r.Converged {
			t.Fatalf("seed %d: membership not whole after heal", seed)
		}
		if r.FalseFailures != 0 {
			t.Errorf("seed %d: %d failures of reachable members", seed, r.FalseFailures)
		}
	}
}

// TestDeterministic: the same seed and scenario give a byte-identical
// event log.
func TestDeterministic(t *testing.T) {
	run := func() []byte {
		var b bytes.Buffer
		mustRun(t, Options{Scenario: ScenarioChurn, Nodes: 24, Seed: 42, Duration: 30 * time.Second, Loss: 0.05, Jitter: 5 * time.Millisecond, Trace: &b})
		return b.Bytes()
	}
	a, b := run(), run()
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed 42 differ (%d vs %d bytes)", len(a), len(b))
	}
	var c bytes.Buffer
	mustRun(t, Options{Scenario: ScenarioChurn, Nodes: 24, Seed: 43, Duration: 30 * time.Second, Loss: 0.05, Trace: &c})
	if bytes.Equal(a, c.Bytes()) {
		t.Fatal("different seeds gave the same log")
	}
}

// TestGoldenTrace pins the event log of a small scenario: any change to
// the protocol's behaviour shows up here and is reviewed like code.
// Rewrite with go test -run TestGoldenTrace -update.
func TestGoldenTrace(t *testing.T) {
	for _, sc := range []string{ScenarioDetect, ScenarioMeta, ScenarioPartition} {
		t.Run(sc, func(t *testing.T) {
			var b bytes.Buffer
			mustRun(t, Options{Scenario: sc, Nodes: 5, Seed: 7, Duration: 20 * time.Second, Trace: &b})
			path := filepath.Join("testdata", "golden-"+sc+".txt")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create with -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("event log differs from %s (rewrite with -update after review):\ngot:\n%s", path, b.String())
			}
		})
	}
}

// TestProperties runs random scenarios and checks invariants after every
// step: a member never sees itself failed, and no alive member is declared
// failed while nothing is wrong with the network.
func TestProperties(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	if *seed != 0 {
		seeds = []uint64{*seed}
	}
	for _, sd := range seeds {
		s, err := New(Config{Seed: sd, Jitter: 3 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		s.OnEvent(func(obs *Member, e core.Event) {
			if e.Type == core.EventFailed {
				if m := s.Member(e.Member.ID); m != nil && m.Up {
					bad++
				}
			}
			if e.Member.ID == obs.ID && e.Type != core.EventConflict && e.Type != core.EventUser {
				t.Errorf("seed %d: %s saw an event about itself: %v", sd, obs.ID, e)
			}
		})
		if _, ok := formCluster(s, 16+int(sd)*4, 2*time.Minute); !ok {
			t.Fatalf("seed %d: no convergence (replay with -seed %d)", sd, sd)
		}
		s.RunFor(time.Minute)
		if bad != 0 {
			t.Errorf("seed %d: %d failures of live members on a healthy network (replay with -seed %d)", sd, bad, sd)
		}
	}
}

func TestRestartRejoins(t *testing.T) {
	s, _ := New(Config{Seed: 9})
	if _, ok := formCluster(s, 10, time.Minute); !ok {
		t.Fatal("no convergence")
	}
	s.Crash(3)
	s.RunFor(30 * time.Second)
	for _, m := range s.Members() {
		if m.Up {
			if st, _ := m.Core.StateOf(NodeID(3)); st != core.StateDead {
				t.Fatalf("%s sees %s as %v, want dead", m.ID, NodeID(3), st)
			}
		}
	}
	// Restart with an incarnation below the tombstone's: it must refute
	// its own old record and come back.
	cfgInc := s.Members()[3].Core.LocalNode().Incarnation
	if err := s.Restart(3, NodeID(0)); err != nil {
		t.Fatal(err)
	}
	_ = cfgInc
	if !s.RunUntil(s.Now().Add(time.Minute), s.Converged) {
		t.Fatal("restarted member did not rejoin")
	}
	// And a member that left comes back too.
	_ = s.Do(4, func(now time.Time, c *core.Core) error { return c.Leave(now) })
	s.Crash(4)
	s.RunFor(10 * time.Second)
	if err := s.Restart(4, NodeID(0)); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(s.Now().Add(time.Minute), s.Converged) {
		t.Fatal("member that left did not rejoin")
	}
}

func TestFaults(t *testing.T) {
	s, _ := New(Config{Seed: 5})
	if _, ok := formCluster(s, 12, time.Minute); !ok {
		t.Fatal("no convergence")
	}
	// A member that can send but not receive is removed.
	s.SetFault(2, 0, 1, 0)
	ok := s.RunUntil(s.Now().Add(time.Minute), func() bool {
		for _, m := range s.Members() {
			if m.Index != 2 {
				if st, _ := m.Core.StateOf(NodeID(2)); st != core.StateDead {
					return false
				}
			}
		}
		return true
	})
	if !ok {
		t.Fatal("deaf member not declared failed")
	}
	s.SetFault(2, 0, 0, 0)
	// A slow member (200ms extra on everything it receives) and a lossy
	// link stay members.
	s.SetFault(5, 0, 0, 200*time.Millisecond)
	s.SetLinkLoss(1, 6, 0.5)
	s.RunFor(time.Minute)
	s.SetLinkLoss(1, 6, -1)
	for _, m := range s.Members() {
		if m.Index != 5 {
			if st, _ := m.Core.StateOf(NodeID(5)); st == core.StateDead {
				t.Errorf("%s declared the slow member failed", m.ID)
			}
		}
	}
	if !s.RunUntil(s.Now().Add(2*time.Minute), s.Converged) {
		t.Error("no convergence after faults cleared")
	}
}

func TestScenarioErrors(t *testing.T) {
	for _, o := range []Options{
		{Scenario: "nope", Nodes: 3},
		{Scenario: ScenarioConverge, Nodes: 1},
		{Scenario: ScenarioConverge, Nodes: 3, Preset: "mars"},
	} {
		if _, err := RunScenario(o); err == nil {
			t.Errorf("RunScenario(%+v) accepted", o)
		}
	}
	if _, err := New(Config{Loss: 1}); err == nil {
		t.Error("loss 1 accepted")
	}
	if _, err := New(Config{Latency: -1}); err == nil {
		t.Error("negative latency accepted")
	}
	s, _ := New(Config{})
	if _, err := s.Add("a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add("a", nil); err == nil {
		t.Error("duplicate id accepted")
	}
	s.Crash(0)
	if err := s.Do(0, func(time.Time, *core.Core) error { return nil }); err == nil {
		t.Error("Do on a crashed member accepted")
	}
	if s.Member("zz") != nil {
		t.Error("unknown member found")
	}
}

func TestScenariosSmoke(t *testing.T) {
	for _, sc := range Scenarios {
		for _, p := range []string{"lan", "wan", "local"} {
			r := mustRun(t, Options{Scenario: sc, Nodes: 8, Seed: 3, Preset: p, Duration: 20 * time.Second, Loss: 0.02})
			if !r.Converged {
				t.Errorf("%s/%s: not converged: %+v", sc, p, r)
			}
		}
	}
}

// TestFlipFlop: one member in 20 drops 90% of what is sent to it, on and
// off every 20 seconds (the Rapid paper's flip-flop fault). It must be
// removed by every healthy member, and no healthy member may be declared
// failed.
func TestFlipFlop(t *testing.T) {
	for _, sd := range []uint64{1, 2, 3, 4, 5, 6, 7, 8}[:seedsUnderRace(8, 2)] {
		s, _ := New(Config{Seed: sd})
		if _, ok := formCluster(s, 20, time.Minute); !ok {
			t.Fatal("no convergence")
		}
		const bad = 7
		removedBy := map[string]bool{}
		healthyFailed := 0
		s.OnEvent(func(obs *Member, e core.Event) {
			if e.Type != core.EventFailed {
				return
			}
			switch {
			case e.Member.ID == NodeID(bad) && obs.Index != bad:
				removedBy[obs.ID] = true
			case e.Member.ID != NodeID(bad) && obs.Index != bad:
				healthyFailed++
			}
		})
		for phase := 0; phase < 4; phase++ {
			if phase%2 == 0 {
				s.SetFault(bad, 0, 0.9, 0)
			} else {
				s.SetFault(bad, 0, 0, 0)
			}
			s.RunFor(20 * time.Second)
		}
		if len(removedBy) != 19 {
			t.Errorf("seed %d: the flapping member was declared failed by %d of 19 healthy members", sd, len(removedBy))
		}
		if healthyFailed != 0 {
			t.Errorf("seed %d: %d failure declarations of healthy members", sd, healthyFailed)
		}
	}
}

func TestPrebuilt(t *testing.T) {
	r := mustRun(t, Options{Scenario: ScenarioDetect, Nodes: 30, Seed: 2, Prebuilt: true})
	if !r.Converged || r.Detect == nil || r.Detect.N != 29 || r.Converge != nil {
		t.Fatalf("prebuilt detect: %+v", r)
	}
}
