package sim

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
)

// Scenarios run by RunScenario.
const (
	ScenarioConverge  = "converge"  // N members join through one seed
	ScenarioDetect    = "detect"    // one member crashes
	ScenarioFalsePos  = "falsepos"  // loss for Duration, nobody crashes
	ScenarioMeta      = "meta"      // one member changes its metadata
	ScenarioPartition = "partition" // halves cut apart for Duration, then healed
	ScenarioChurn     = "churn"     // crashes, restarts, leaves and joins for Duration
)

// Scenarios lists every scenario name.
var Scenarios = []string{ScenarioConverge, ScenarioDetect, ScenarioFalsePos, ScenarioMeta, ScenarioPartition, ScenarioChurn}

// Options selects a scenario run.
type Options struct {
	Scenario string
	Nodes    int
	Seed     uint64
	// Preset is "lan", "wan" or "local". Default "lan".
	Preset string
	Loss   float64
	// StreamFailure is the probability that a stream is refused or reset
	// during the fault (falsepos: for Duration), as Config.StreamFailure.
	StreamFailure float64
	Latency       time.Duration
	Jitter        time.Duration
	// StallEvery and StallLength, when both positive, make every member
	// stall as Sim.SetStall does, a machine with more work than cores
	// whose processes' timers fire late: in falsepos during the fault
	// (for Duration), in detect from the crash on. Default 0: no stalls.
	StallEvery, StallLength time.Duration
	// Duration is how long the scenario's fault lasts (falsepos,
	// partition, churn) and bounds how long each phase may take.
	// Default 60s.
	Duration time.Duration
	// Limit bounds every waiting phase, in virtual time. Default 10min.
	Limit time.Duration
	// MaxUpdateQueue overrides the preset's Config.MaxUpdateQueue when
	// positive (large runs use it to bound memory).
	MaxUpdateQueue int
	// DisableEarlyGossip sets core.Config.DisableEarlyGossip in every
	// member: news waits for the next regular gossip round, the rule
	// before early rounds, for comparison. Default false.
	DisableEarlyGossip bool
	// Prebuilt starts every member with the full membership already
	// merged (one full-state table handed to each), instead of joining
	// through a seed; formation is then not measured. It makes the
	// largest runs affordable.
	Prebuilt bool
	// Settle, when positive, runs the formed cluster this much longer
	// before the scenario goes on, so that what formation leaves behind
	// (announcements still gossiped, each member's repair exchange, the
	// first full-state exchanges) is over before anything is measured:
	// traffic then shows the steady state. Default 0.
	Settle time.Duration
	// JoinSpread spreads the initial joins evenly over this much virtual
	// time instead of starting them all at once. Default 0.
	JoinSpread time.Duration
	// Trace receives the event log.
	Trace io.Writer
	// AtEnd, if set, is called once when the scenario ends, while every
	// core is still live (gossipsim takes its heap profile there).
	AtEnd func()
}

// Dist summarizes per-observer times, in seconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func dist(xs []time.Duration) *Dist {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	at := func(q float64) float64 {
		i := int(q * float64(len(xs)-1))
		return xs[i].Seconds()
	}
	return &Dist{N: len(xs), P50: at(0.5), P99: at(0.99), Max: xs[len(xs)-1].Seconds()}
}

// Result is one scenario's outcome; it marshals to the JSON line that
// gossipsim prints.
type Result struct {
	Scenario string  `json:"scenario"`
	Nodes    int     `json:"nodes"`
	Seed     uint64  `json:"seed"`
	Preset   string  `json:"preset"`
	Loss     float64 `json:"loss"`
	// StreamFailure is Options.StreamFailure.
	StreamFailure float64 `json:"stream_failure,omitempty"`
	LatencyMS     float64 `json:"latency_ms"`

	// Converged is true when the scenario's end state was reached.
	Converged bool `json:"converged"`
	// Converge is the time from start until each member saw all others
	// alive (every scenario forms its cluster first), or, for partition
	// churn and falsepos, until membership was whole again after the
	// fault.
	Converge *Dist `json:"converge_s,omitempty"`
	// LastJoin is when the last member joined, counted like Converge from
	// the first join (non-zero only with Options.JoinSpread): Converge.Max
	// minus LastJoin is how long the last announcement took to reach all.
	LastJoin float64 `json:"last_join_s,omitempty"`
	// FirstSuspect is the time from the crash to the first suspicion.
	FirstSuspect float64 `json:"first_suspect_s,omitempty"`
	// Detect is the time from the crash to each live member declaring
	// the crashed member failed.
	Detect *Dist `json:"detect_s,omitempty"`
	// Meta is the time for a metadata change to reach each member.
	Meta *Dist `json:"meta_s,omitempty"`
	// FalseFailures counts failure declarations of members that were up.
	FalseFailures int `json:"false_failures"`
	// FalselyFailed counts the distinct up members declared failed.
	FalselyFailed int `json:"falsely_failed_members"`
	// Refutations counts refutations (EventRefuted) during the run.
	Refutations int `json:"refutations"`
	// StreamsFailed counts streams lost to stream failures.
	StreamsFailed uint64 `json:"streams_failed,omitempty"`
	// Streams counts the streams members opened (each one dial) during
	// the run, formation included.
	Streams uint64 `json:"streams"`
	// ProbesFailed counts the members' own probes (direct, indirect and
	// over a stream) that got no answer during the run, formation
	// included: each one raised a suspicion or confirmed one.
	ProbesFailed uint64 `json:"probes_failed"`
	// MsgsPerNodeSec and BytesPerNodeSec are sent traffic during the
	// measured phase, per member per virtual second.
	MsgsPerNodeSec  float64 `json:"msgs_per_node_per_s"`
	BytesPerNodeSec float64 `json:"bytes_per_node_per_s"`
	// MsgsByKind splits MsgsPerNodeSec by kind (see Traffic.PerKind):
	// which messages the traffic is made of.
	MsgsByKind map[string]float64 `json:"msgs_by_kind,omitempty"`
	// BytesByKind splits BytesPerNodeSec the same way.
	BytesByKind map[string]float64 `json:"bytes_by_kind,omitempty"`
	// Settle is Options.Settle, in seconds.
	Settle         float64 `json:"settle_s,omitempty"`
	VirtualSeconds float64 `json:"virtual_s"`
	WallSeconds    float64 `json:"wall_s"`
	HeapMB         float64 `json:"heap_mb"`
}

// Preset returns the core configuration named by p.
func Preset(p string) (core.Config, error) {
	switch p {
	case "", "lan":
		return core.LANConfig(), nil
	case "wan":
		return core.WANConfig(), nil
	case "local":
		return core.LocalConfig(), nil
	}
	return core.Config{}, fmt.Errorf("sim: unknown preset %q (want lan, wan or local)", p)
}

// NodeID returns the id of member i in scenario runs.
func NodeID(i int) string { return fmt.Sprintf("n%05d", i) }

// RunScenario runs one scenario and returns its figures. Wall time is
// measured but nothing else depends on the clock: the same Options give the
// same Result except WallSeconds and HeapMB.
func RunScenario(o Options) (Result, error) {
	start := time.Now()
	if o.Nodes < 2 {
		return Result{}, fmt.Errorf("sim: need at least 2 nodes, got %d", o.Nodes)
	}
	if !slices.Contains(Scenarios, o.Scenario) {
		return Result{}, fmt.Errorf("sim: unknown scenario %q (want one of %v)", o.Scenario, Scenarios)
	}
	cc, err := Preset(o.Preset)
	if err != nil {
		return Result{}, err
	}
	if o.Preset == "" {
		o.Preset = "lan"
	}
	if o.Duration == 0 {
		o.Duration = 60 * time.Second
	}
	if o.Limit == 0 {
		o.Limit = 10 * time.Minute
	}
	if o.MaxUpdateQueue > 0 {
		cc.MaxUpdateQueue = o.MaxUpdateQueue
	}
	cc.DisableEarlyGossip = o.DisableEarlyGossip
	s, err := New(Config{Seed: o.Seed, Core: cc, SizeHint: min(o.Nodes, core.MaxSizeHint), Latency: o.Latency, Jitter: o.Jitter, Trace: o.Trace})
	if err != nil {
		return Result{}, err
	}
	if o.Settle < 0 {
		return Result{}, fmt.Errorf("sim: negative settle time %v", o.Settle)
	}
	if o.StreamFailure < 0 || o.StreamFailure >= 1 {
		return Result{}, fmt.Errorf("sim: stream failure %v outside [0, 1)", o.StreamFailure)
	}
	r := Result{Scenario: o.Scenario, Nodes: o.Nodes, Seed: o.Seed, Preset: o.Preset, Loss: o.Loss,
		StreamFailure: o.StreamFailure, LatencyMS: float64(s.cfg.Latency) / 1e6}

	// Failure declarations of members that are up at that moment.
	falsely := map[string]bool{}
	s.OnEvent(func(obs *Member, e core.Event) {
		switch e.Type {
		case core.EventFailed:
			if m := s.Member(e.Member.ID); m != nil && m.Up && m.group == obs.group {
				r.FalseFailures++
				if !falsely[m.ID] {
					falsely[m.ID] = true
					r.FalselyFailed++
				}
			}
		case core.EventRefuted:
			r.Refutations++
		}
	})

	var conv []time.Duration
	var ok bool
	if o.Prebuilt {
		ok = prebuild(s, o.Nodes)
	} else {
		conv, ok = formClusterSpread(s, o.Nodes, o.Limit, o.JoinSpread)
		r.LastJoin = (o.JoinSpread * time.Duration(o.Nodes-1) / time.Duration(o.Nodes)).Seconds()
	}
	r.Converged = ok
	r.Converge = dist(conv) // partition and churn replace it with the time to heal
	if ok && o.Settle > 0 {
		s.RunFor(o.Settle)
		r.Settle = o.Settle.Seconds()
	}
	if o.Scenario == ScenarioConverge {
		s.SetLoss(o.Loss)
		r.measureTraffic(s, func() { s.RunFor(o.Duration) })
		return r.finish(s, o, start), nil
	}
	if !ok {
		return r.finish(s, o, start), fmt.Errorf("sim: %d members did not converge within %v", o.Nodes, o.Limit)
	}
	s.SetLoss(o.Loss)
	s.SetStreamFailure(o.StreamFailure)
	rng := rand.New(rand.NewPCG(o.Seed, 0x7363656e))
	switch o.Scenario {
	case ScenarioDetect:
		victim := rng.IntN(o.Nodes)
		stallAll(s, o.StallEvery, o.StallLength)
		r.measureTraffic(s, func() { r.Converged = runDetect(s, &r, victim, o.Limit) })
	case ScenarioFalsePos:
		stallAll(s, o.StallEvery, o.StallLength)
		r.measureTraffic(s, func() { s.RunFor(o.Duration) })
		// The fault ends; views must heal.
		s.SetLoss(0)
		s.SetStreamFailure(0)
		stallAll(s, 0, 0)
		healed := waitWhole(s, &r, o.Limit)
		r.Converged = r.FalseFailures == 0 && healed
	case ScenarioMeta:
		r.Converged = runMeta(s, &r, rng.IntN(o.Nodes), o.Limit)
	case ScenarioPartition:
		s.Partition(func(i int) int { return i % 2 })
		s.RunFor(o.Duration)
		s.Heal()
		r.Converged = waitWhole(s, &r, o.Limit)
	case ScenarioChurn:
		runChurn(s, rng, o.Duration)
		r.Converged = waitWhole(s, &r, o.Limit)
	}
	return r.finish(s, o, start), nil
}

func (r *Result) finish(s *Sim, o Options, start time.Time) Result {
	if o.AtEnd != nil {
		o.AtEnd()
	}
	r.StreamsFailed = s.streamsFailed
	for _, m := range s.members {
		st := m.Core.Stats()
		r.Streams += st.StreamsOut
		r.ProbesFailed += st.ProbesFailed
	}
	r.VirtualSeconds = s.Elapsed().Seconds()
	r.WallSeconds = time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapMB = float64(ms.HeapAlloc) / (1 << 20)
	return *r
}

// measureTraffic runs fn and records the traffic sent meanwhile.
func (r *Result) measureTraffic(s *Sim, fn func()) {
	var p0, b0 uint64
	for _, m := range s.members {
		p, b := m.Sent()
		p0, b0 = p0+p, b0+b
	}
	t0, k0 := s.now, s.traffic
	fn()
	var p1, b1 uint64
	for _, m := range s.members {
		p, b := m.Sent()
		p1, b1 = p1+p, b1+b
	}
	secs := s.now.Sub(t0).Seconds() * float64(len(s.members))
	if secs > 0 {
		r.MsgsPerNodeSec = float64(p1-p0) / secs
		r.BytesPerNodeSec = float64(b1-b0) / secs
		d := s.traffic.sub(k0)
		r.MsgsByKind = d.PerKind(secs)
		r.BytesByKind = d.BytesPerKind(secs)
	}
}

// formCluster adds n members, all joining through the first, and runs until
// each sees all others alive. It returns each member's time to converge.
func formCluster(s *Sim, n int, limit time.Duration) ([]time.Duration, bool) {
	return formClusterSpread(s, n, limit, 0)
}

// prebuild adds n members and hands each the full membership as one
// full-state table, as if it had just joined a formed cluster.
func prebuild(s *Sim, n int) bool {
	pp := &wire.PushPull{Reply: true, From: NodeID(0)}
	for i := 0; i < n; i++ {
		if _, err := s.Add(NodeID(i), nil); err != nil {
			panic(err) // ids are unique by construction
		}
		m := s.members[i]
		v := m.Core.LocalNode()
		pp.Members = append(pp.Members, wire.MemberState{ID: m.ID, Addr: m.ID, Incarnation: v.Incarnation})
	}
	table := wire.Encode(pp)
	for _, m := range s.members {
		_ = m.Core.HandleMessage(s.now, NodeID(0), table)
		s.flush(m)
	}
	return s.Converged()
}

// formClusterSpread is formCluster with the joins spread over spread.
func formClusterSpread(s *Sim, n int, limit, spread time.Duration) ([]time.Duration, bool) {
	t0 := s.now
	for i := 0; i < n; i++ {
		if spread > 0 {
			s.RunUntil(t0.Add(spread*time.Duration(i)/time.Duration(n)), nil)
		}
		if _, err := s.Add(NodeID(i), nil); err != nil {
			panic(err) // ids are unique by construction
		}
		if i > 0 {
			_ = s.Join(i, NodeID(0))
		}
	}
	done := make([]time.Duration, n)
	left := n
	ok := s.RunUntil(t0.Add(limit), func() bool {
		for i, m := range s.members {
			if done[i] == 0 {
				if a, sus := m.Core.Counts(); a == n-1 && sus == 0 {
					done[i] = s.now.Sub(t0)
					left--
				}
			}
		}
		return left == 0
	})
	return done, ok && s.Converged()
}

func runDetect(s *Sim, r *Result, victim int, limit time.Duration) bool {
	id := s.members[victim].ID
	var first time.Duration
	var detect []time.Duration
	t0 := s.now
	s.OnEvent(func(obs *Member, e core.Event) {
		if e.Member.ID != id {
			return
		}
		switch e.Type {
		case core.EventSuspect:
			if first == 0 {
				first = s.now.Sub(t0)
			}
		case core.EventFailed:
			detect = append(detect, s.now.Sub(t0))
		}
	})
	s.Crash(victim)
	ok := s.RunUntil(t0.Add(limit), func() bool {
		for _, m := range s.members {
			if m.Up {
				if st, _ := m.Core.StateOf(id); st != core.StateDead {
					return false
				}
			}
		}
		return true
	})
	r.FirstSuspect = first.Seconds()
	r.Detect = dist(detect)
	return ok
}

func runMeta(s *Sim, r *Result, who int, limit time.Duration) bool {
	id := s.members[who].ID
	var got []time.Duration
	t0 := s.now
	s.OnEvent(func(obs *Member, e core.Event) {
		if e.Type == core.EventUpdate && e.Member.ID == id && e.Member.Meta["role"] == "changed" {
			got = append(got, s.now.Sub(t0))
		}
	})
	_ = s.Do(who, func(now time.Time, c *core.Core) error {
		return c.SetMeta(now, map[string]string{"role": "changed"})
	})
	want := -1 // the changer itself
	for _, m := range s.members {
		if m.Up {
			want++
		}
	}
	ok := s.RunUntil(t0.Add(limit), func() bool { return len(got) >= want })
	r.Meta = dist(got)
	return ok
}

// waitWhole runs until membership is whole again and records the time.
func waitWhole(s *Sim, r *Result, limit time.Duration) bool {
	t0 := s.now
	ok := s.RunUntil(t0.Add(limit), s.Converged)
	if ok {
		r.Converge = &Dist{N: 1, P50: s.now.Sub(t0).Seconds(), P99: s.now.Sub(t0).Seconds(), Max: s.now.Sub(t0).Seconds()}
	}
	return ok
}

// runChurn crashes, restarts, leaves and rejoins random members (never
// member 0, the seed) for d.
func runChurn(s *Sim, rng *rand.Rand, d time.Duration) {
	end := s.now.Add(d)
	for s.now.Before(end) {
		s.RunFor(time.Duration(1+rng.IntN(5)) * time.Second)
		i := 1 + rng.IntN(len(s.members)-1)
		m := s.members[i]
		switch {
		case !m.Up:
			_ = s.Restart(i, NodeID(0))
		case rng.IntN(2) == 0:
			s.Crash(i)
		default:
			_ = s.Do(i, func(now time.Time, c *core.Core) error { return c.Leave(now) })
			s.Crash(i) // a left member stops after announcing
		}
	}
	// Bring everyone back so "whole" means all members.
	for i, m := range s.members {
		if !m.Up {
			_ = s.Restart(i, NodeID(0))
		}
	}
}

// stallAll sets every member's stalls (see Sim.SetStall).
func stallAll(s *Sim, every, length time.Duration) {
	for i := range s.members {
		s.SetStall(i, every, length)
	}
}
