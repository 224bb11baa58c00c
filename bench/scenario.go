package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/libgossip/libgossip/bench/fault"
)

// RunOptions select one cluster's life in Run. Zero fields take the
// documented default.
type RunOptions struct {
	// N is the number of members; at least 4. Default 16.
	N int
	// Params are the protocol settings.
	Params Params
	// Seed seeds the fault injectors. Default 1.
	Seed uint64
	// Steady is the quiet window over which traffic, CPU and heap are
	// measured. Default 5s.
	Steady time.Duration
	// Loss lists the uniform packet loss rates of the falsepos phases, in
	// order (e.g. 0.10, 0.25); empty skips them.
	Loss []float64
	// LossWindow is how long each loss phase lasts. Default 10s.
	LossWindow time.Duration
	// Limit bounds each waiting phase (meta, detect, leave, recovery
	// after loss). Default 60s.
	Limit time.Duration
	// ConvergeLimit bounds the converge phase. Default Limit.
	ConvergeLimit time.Duration
	// Settle is a pause after detection, before the steady window, so
	// that one-off traffic (libgossip's catch-up syncs after joining, the
	// failure's dissemination) has ended. Default 3s.
	Settle time.Duration
	// OnSteady, when set, is called as the steady window starts; the
	// function it returns is called as the window ends. It is for
	// measurement knobs (a CPU profile of the steady state alone).
	OnSteady func(impl string, n int, seed uint64) (end func())
}

func (o *RunOptions) fill() {
	if o.N == 0 {
		o.N = 16
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Steady == 0 {
		o.Steady = 5 * time.Second
	}
	if o.LossWindow == 0 {
		o.LossWindow = 10 * time.Second
	}
	if o.Limit == 0 {
		o.Limit = 60 * time.Second
	}
	if o.ConvergeLimit == 0 {
		o.ConvergeLimit = o.Limit
	}
	if o.Settle == 0 {
		o.Settle = 3 * time.Second
	}
}

// Spread is a distribution of per-member times, in seconds. Missing counts
// members that never got there within the phase's limit; their time is
// taken as the limit, so P50 and Max are then lower bounds.
type Spread struct {
	P50     float64 `json:"p50"`
	Max     float64 `json:"max"`
	Missing int     `json:"missing,omitempty"`
}

// LossResult is one falsepos phase.
type LossResult struct {
	// Loss is the uniform packet loss rate.
	Loss float64 `json:"loss"`
	// FalseFailures counts failure declarations of members that were up.
	FalseFailures int `json:"false_failures"`
	// Suspicions counts suspicions of members that were up.
	Suspicions int `json:"suspicions"`
}

// RunResult is one run's figures.
type RunResult struct {
	Impl   string `json:"impl"`
	N      int    `json:"n"`
	Params Params `json:"params"`
	// Converge is the time from the first join until each member counts
	// all N.
	Converge Spread `json:"converge_s"`
	// BytesPerNodeSec and PacketsPerNodeSec are what each member sent
	// during the steady window (packets plus stream bytes), per second.
	BytesPerNodeSec float64 `json:"bytes_per_node_s"`
	// StreamBytesPerNodeSec is the part of BytesPerNodeSec sent over
	// streams (full-state exchange).
	StreamBytesPerNodeSec float64 `json:"stream_bytes_per_node_s"`
	PacketsPerNodeSec     float64 `json:"packets_per_node_s"`
	// CPUPerNodeSec is process CPU time (user+system, getrusage) per
	// member per second of the steady window.
	CPUPerNodeSec float64 `json:"cpu_per_node_s"`
	// HeapPerNodeKB is live heap after GC in the steady window, less a
	// baseline, per member. The baseline is the lower of the live heap
	// before the cluster started and after it shut down: a previous
	// cluster's memory still held at the start (memberlist's goroutines
	// outlive its Shutdown) and freed during the run would otherwise make
	// the figure small or negative.
	HeapPerNodeKB float64 `json:"heap_per_node_kb"`
	// Meta is the time for a metadata change to reach each other member.
	Meta Spread `json:"meta_s"`
	// FirstSuspect is the time from a crash to the first suspicion of the
	// crashed member anywhere (seconds; -1 if none was seen).
	FirstSuspect float64 `json:"first_suspect_s"`
	// Detect is the time from the crash until each live member declared
	// it failed.
	Detect Spread `json:"detect_s"`
	// Loss has one entry per falsepos phase.
	Loss []LossResult `json:"loss,omitempty"`
	// Leave is the time for a graceful leave to reach each other member
	// (a Failed event counts too: memberlist cannot tell the two apart).
	Leave Spread `json:"leave_s"`
}

// cluster is N members of one implementation with their injectors.
type cluster struct {
	impl  Impl
	ids   []string
	nodes []Node
	inj   []*fault.Injector
	dials []*DialFaults // nil unless started with dial faults
	up    []bool
	rec   *recorder
	// closed is set by shutdown, which runs once.
	closed bool
}

func startCluster(ctx context.Context, impl Impl, n int, p Params, seed uint64) (*cluster, error) {
	return startClusterWith(ctx, impl, n, p, seed, false)
}

// startClusterWith starts n members; withDials also puts a DialFaults
// (rate 0 until set) in front of each member's stream dials.
func startClusterWith(ctx context.Context, impl Impl, n int, p Params, seed uint64, withDials bool) (*cluster, error) {
	c := &cluster{impl: impl, ids: make([]string, n), nodes: make([]Node, n), inj: make([]*fault.Injector, n), up: make([]bool, n)}
	for i := range n {
		c.ids[i] = fmt.Sprintf("n%04d", i)
	}
	if withDials {
		c.dials = make([]*DialFaults, n)
	}
	c.rec = newRecorder(c.ids)
	for i := range n {
		c.inj[i] = fault.New(seed*1_000_003 + uint64(i))
		spec := NodeSpec{ID: c.ids[i], Params: p, Faults: c.inj[i], Observe: c.rec.observe}
		if withDials {
			c.dials[i] = NewDialFaults(seed*2_000_003 + uint64(i))
			spec.Dials = c.dials[i]
		}
		nd, err := impl.Start(ctx, spec)
		if err != nil {
			c.shutdown()
			return nil, fmt.Errorf("%s: start %s: %w", impl.Name(), c.ids[i], err)
		}
		c.nodes[i], c.up[i] = nd, true
	}
	return c, nil
}

// joinAll joins every member but the seed (member 0) through the seed,
// a few at a time.
func (c *cluster) joinAll(ctx context.Context) error {
	seed := c.nodes[0].Addr()
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	sem := make(chan struct{}, 8)
	for i := 1; i < len(c.nodes); i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := c.nodes[i].Join(jctx, seed); err != nil {
				errs[i] = fmt.Errorf("%s join: %w", c.ids[i], err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *cluster) shutdown() {
	if c.closed {
		return
	}
	c.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = nd.Shutdown(ctx)
			c.up[i] = false
		}()
	}
	wg.Wait()
}

func (c *cluster) live() []int {
	var out []int
	for i, u := range c.up {
		if u {
			out = append(out, i)
		}
	}
	return out
}

func (c *cluster) liveIDs(except int) []string {
	var out []string
	for i, u := range c.up {
		if u && i != except {
			out = append(out, c.ids[i])
		}
	}
	return out
}

// awaitViews waits until every live member counts exactly the live
// members, and returns per member the time since t0 its view became whole.
func (c *cluster) awaitViews(ctx context.Context, t0 time.Time, limit time.Duration) Spread {
	obs := c.live()
	want := slices.Clone(c.up)
	var done []bool
	var at []time.Time
	waitFor(ctx, limit, func() bool {
		done, at = c.rec.complete(obs, want)
		return !slices.Contains(done, false)
	})
	ds := make([]time.Duration, len(obs))
	for k := range obs {
		if done[k] {
			ds[k] = max(at[k].Sub(t0), 0)
		} else {
			ds[k] = -1
		}
	}
	return spread(ds, limit)
}

// awaitFirst waits until each of obs has an event after t0 that match
// accepts, and returns the times since t0.
func (c *cluster) awaitFirst(ctx context.Context, obs []string, t0 time.Time, limit time.Duration, match func(Event) bool) Spread {
	var at []time.Time
	waitFor(ctx, limit, func() bool {
		at = c.rec.first(obs, t0, match)
		return !slices.ContainsFunc(at, time.Time.IsZero)
	})
	ds := make([]time.Duration, len(at))
	for k, t := range at {
		if t.IsZero() {
			ds[k] = -1
		} else {
			ds[k] = max(t.Sub(t0), 0)
		}
	}
	return spread(ds, limit)
}

// spread summarizes ds; negative entries are missing and count as limit.
func spread(ds []time.Duration, limit time.Duration) Spread {
	var s Spread
	if len(ds) == 0 {
		return s
	}
	for k, d := range ds {
		if d < 0 {
			s.Missing++
			ds[k] = limit
		}
	}
	slices.Sort(ds)
	s.P50 = ds[(len(ds)-1)/2].Seconds()
	s.Max = ds[len(ds)-1].Seconds()
	return s
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func (c *cluster) counters() fault.Counters {
	var t fault.Counters
	for _, in := range c.inj {
		t = t.Add(in.Counters())
	}
	return t
}

// Run runs one cluster of impl through every phase in order: converge (N
// members join through member 0), meta (member 1 changes its metadata),
// detect (the last member crashes), steady (a quiet window after a
// settling pause; the crashed member is gone, so traffic, CPU and heap are
// per live member), falsepos (one phase per loss rate, each followed by
// recovery), leave (member 2 leaves).
// It shuts the cluster down before returning. An error means the cluster
// could not be started; figures that could not be reached are marked
// Missing instead.
func Run(ctx context.Context, impl Impl, o RunOptions) (RunResult, error) {
	o.fill()
	if o.N < 4 {
		return RunResult{}, fmt.Errorf("bench: need at least 4 members, got %d", o.N)
	}
	r := RunResult{Impl: impl.Name(), N: o.N, Params: o.Params, FirstSuspect: -1}
	base := heapAlloc()
	c, err := startCluster(ctx, impl, o.N, o.Params, o.Seed)
	if err != nil {
		return r, err
	}
	defer c.shutdown()

	// converge
	t0 := time.Now()
	if err := c.joinAll(ctx); err != nil && ctx.Err() != nil {
		return r, err
	}
	r.Converge = c.awaitViews(ctx, t0, o.ConvergeLimit)
	c.rec.forget()

	// meta
	const setter, leaver = 1, 2
	value := fmt.Sprintf("s%d", o.Seed)
	t0 = time.Now()
	if err := c.nodes[setter].SetMeta(ctx, MetaKey, value); err == nil {
		subj := c.ids[setter]
		r.Meta = c.awaitFirst(ctx, c.liveIDs(setter), t0, o.Limit, func(e Event) bool {
			return e.Subject == subj && (e.Type == Update || e.Type == Join) && e.Meta == value
		})
	} else {
		r.Meta = Spread{P50: o.Limit.Seconds(), Max: o.Limit.Seconds(), Missing: o.N - 1}
	}
	c.rec.forget()

	// detect
	victim := o.N - 1
	vid := c.ids[victim]
	t0 = time.Now()
	_ = c.nodes[victim].Crash(ctx)
	c.up[victim] = false
	r.Detect = c.awaitFirst(ctx, c.liveIDs(-1), t0, o.Limit, func(e Event) bool {
		return e.Subject == vid && e.Type == Failed
	})
	if at := c.rec.first(c.liveIDs(-1), t0, func(e Event) bool { return e.Subject == vid && e.Type == Suspect }); len(at) > 0 {
		var first time.Time
		for _, t := range at {
			if !t.IsZero() && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
		if !first.IsZero() {
			r.FirstSuspect = first.Sub(t0).Seconds()
		}
	}
	// Let every view settle on the N-1 live members before measuring
	// false failures.
	c.awaitViews(ctx, time.Now(), o.Limit)
	c.rec.forget()

	// steady: after a settling pause, with the N-1 live members
	if err := pause(ctx, o.Settle); err != nil {
		return r, err
	}
	c.rec.forget()
	end := func() {}
	if o.OnSteady != nil {
		end = o.OnSteady(impl.Name(), o.N, o.Seed)
	}
	cnt0, cpu0, w0 := c.counters(), cpuTime(), time.Now()
	err = pause(ctx, o.Steady)
	end()
	if err != nil {
		return r, err
	}
	cnt, cpu, secs := c.counters().Sub(cnt0), cpuTime()-cpu0, time.Since(w0).Seconds()
	nsecs := float64(o.N-1) * secs
	r.BytesPerNodeSec = float64(cnt.Bytes+cnt.StreamBytes) / nsecs
	r.StreamBytesPerNodeSec = float64(cnt.StreamBytes) / nsecs
	r.PacketsPerNodeSec = float64(cnt.Packets) / nsecs
	r.CPUPerNodeSec = cpu.Seconds() / nsecs
	alive := heapAlloc()
	perNode := func(base uint64) float64 { return (float64(alive) - float64(base)) / float64(o.N-1) / 1024 }
	r.HeapPerNodeKB = perNode(base)

	// falsepos
	for _, loss := range o.Loss {
		t0 = time.Now()
		for _, in := range c.inj {
			in.SetLoss(loss)
		}
		err := pause(ctx, o.LossWindow)
		for _, in := range c.inj {
			in.SetLoss(0)
		}
		if err != nil {
			return r, err
		}
		isLive := func(id string) bool { return id != vid }
		r.Loss = append(r.Loss, LossResult{
			Loss:          loss,
			FalseFailures: c.rec.countEvents(t0, func(e Event) bool { return e.Type == Failed && isLive(e.Subject) }),
			Suspicions:    c.rec.countEvents(t0, func(e Event) bool { return e.Type == Suspect && isLive(e.Subject) }),
		})
		c.awaitViews(ctx, time.Now(), o.Limit)
		c.rec.forget()
	}

	// leave
	lid := c.ids[leaver]
	t0 = time.Now()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_ = c.nodes[leaver].Leave(lctx)
	cancel()
	r.Leave = c.awaitFirst(ctx, c.liveIDs(leaver), t0, o.Limit, func(e Event) bool {
		return e.Subject == lid && (e.Type == Left || e.Type == Failed)
	})
	c.shutdown()
	r.HeapPerNodeKB = perNode(min(base, heapAlloc()))
	return r, ctx.Err()
}
