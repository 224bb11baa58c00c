package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Plan is a set of runs: lifecycle runs (Run) at several sizes with the
// LAN settings, a sweep of probe intervals with matched settings, flip-flop
// runs and simulator scale runs. Every case runs Runs times; within a
// repetition the implementations alternate which goes first.
type Plan struct {
	// Impls are the implementations compared. Default LibGossip and
	// Memberlist.
	Impls []Impl
	// Runs is the number of repetitions of every case. Default 3.
	Runs int
	// Sizes are the cluster sizes of the LAN lifecycle runs.
	Sizes []int
	// Loss are the falsepos loss rates of the LAN lifecycle runs at
	// sizes from MinLossN up to MaxLossN.
	Loss               []float64
	MinLossN, MaxLossN int
	// ParallelSweep runs the implementations of each sweep case at the
	// same time, to fit the plan in its time budget. Sweep cases report
	// detection and bandwidth, which are counted per cluster; CPU and heap
	// are process-wide and are read only from the LAN cases, which always
	// run one at a time.
	ParallelSweep bool
	// Sweep are the probe intervals of the Pareto sweep, run with
	// Matched settings at SweepN members and falsepos at SweepLoss.
	Sweep     []time.Duration
	SweepN    int
	SweepLoss []float64
	// Steady, Settle, LossWindow, Limit and ConvergeLimit are passed to
	// Run.
	Steady, Settle, LossWindow, Limit, ConvergeLimit time.Duration
	// FlipFlop configures the flip-flop runs; N 0 skips them.
	FlipFlop FlipFlopOptions
	// ScaleN are the simulator sizes; ScaleSeeds the seeds per size.
	ScaleN     []int
	ScaleSeeds int
	// OnSteady is passed to Run (RunOptions.OnSteady).
	OnSteady func(impl string, n int, seed uint64) (end func()) `json:"-"`
}

// LANOnly keeps only the LAN lifecycle cases at sizes (all of the plan's
// when empty) and drops the sweep, flip-flop and scale runs: a quick
// measurement of a few LAN figures.
func (p Plan) LANOnly(sizes []int) Plan {
	if len(sizes) > 0 {
		p.Sizes = sizes
	}
	p.Sweep, p.FlipFlop, p.ScaleN = nil, FlipFlopOptions{}, nil
	return p
}

// DefaultPlan is the set `go run ./bench/cmd/bench` runs: about 15 minutes
// on two cores.
func DefaultPlan() Plan {
	return Plan{
		Runs:          3,
		Sizes:         []int{16, 64, 256},
		Loss:          []float64{0.10, 0.25},
		MinLossN:      64,
		MaxLossN:      64,
		ParallelSweep: true,
		Sweep:         []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second},
		SweepN:        64,
		SweepLoss:     []float64{0.10},
		Steady:        5 * time.Second,
		Settle:        2 * time.Second,
		LossWindow:    5 * time.Second,
		Limit:         20 * time.Second,
		ConvergeLimit: 10 * time.Second,
		// The flip-flop runs two faulty periods (80 s), as the simulator's
		// TestFlipFlop does: with one (40 s) some healthy members are
		// still checking the faulty one for themselves, and have not
		// removed it, when the fault lifts (gossip/sim, 20 seeds: 96% of
		// the healthy members removed it within 40 s, 100% within 80 s).
		FlipFlop:   FlipFlopOptions{N: 20, Period: 20 * time.Second, Window: 80 * time.Second},
		ScaleN:     []int{100, 1000},
		ScaleSeeds: 3,
	}
}

// ShortPlan is a plan of seconds, for tests: every kind of case, tiny.
func ShortPlan() Plan {
	return Plan{
		Runs:       1,
		Sizes:      []int{5},
		Loss:       []float64{0.10, 0.25},
		MaxLossN:   8,
		Sweep:      []time.Duration{200 * time.Millisecond, 300 * time.Millisecond},
		SweepN:     5,
		SweepLoss:  []float64{0.10},
		Steady:     300 * time.Millisecond,
		Settle:     100 * time.Millisecond,
		LossWindow: 500 * time.Millisecond,
		Limit:      10 * time.Second,
		FlipFlop:   FlipFlopOptions{N: 5, Params: Matched(200 * time.Millisecond), Period: 500 * time.Millisecond},
		ScaleN:     []int{20},
		ScaleSeeds: 1,
	}
}

// Case is one lifecycle configuration.
type Case struct {
	N int
	// Probe is the probe interval; Params are Matched(Probe).
	Probe time.Duration
	Loss  []float64
	// LAN marks the cases at the LAN settings (Probe 1s).
	LAN bool
}

func (c Case) String() string { return fmt.Sprintf("N=%d probe=%v", c.N, c.Probe) }

// Cases lists the plan's lifecycle cases: the LAN sizes, then the sweep
// points not already among them.
func (p Plan) Cases() []Case {
	var cs []Case
	for _, n := range p.Sizes {
		c := Case{N: n, Probe: time.Second, LAN: true}
		if n <= p.MaxLossN && n >= p.MinLossN {
			c.Loss = p.Loss
		}
		cs = append(cs, c)
	}
	for _, pi := range p.Sweep {
		if slices.ContainsFunc(cs, func(c Case) bool { return c.N == p.SweepN && c.Probe == pi }) {
			continue
		}
		cs = append(cs, Case{N: p.SweepN, Probe: pi, Loss: p.SweepLoss})
	}
	return cs
}

// Results are everything a Plan measured.
type Results struct {
	Plan  Plan
	Start time.Time
	Wall  time.Duration
	// Runs holds the lifecycle results per case (index into
	// Plan.Cases) and implementation name.
	Runs map[int]map[string][]RunResult
	// Errors are runs that could not be started.
	Errors   []string
	FlipFlop map[string][]FlipFlopResult
	Scale    map[int][]ScaleResult
}

// Execute runs p, writing one progress line per run to progress.
func (p Plan) Execute(ctx context.Context, progress io.Writer) (*Results, error) {
	if len(p.Impls) == 0 {
		p.Impls = []Impl{LibGossip{}, Memberlist{}}
	}
	res := &Results{Plan: p, Start: time.Now(), Runs: map[int]map[string][]RunResult{},
		FlipFlop: map[string][]FlipFlopResult{}, Scale: map[int][]ScaleResult{}}
	cases := p.Cases()
	order := func(k int) []Impl {
		if k%2 == 0 {
			return p.Impls
		}
		out := slices.Clone(p.Impls)
		slices.Reverse(out)
		return out
	}
	var mu sync.Mutex // guards res and progress while sweep runs overlap
	record := func(run, ci int, c Case, impl Impl, r RunResult, err error, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s %v run %d: %v", impl.Name(), c, run+1, err))
			fmt.Fprintf(progress, "%-10s %-22v run %d: error %v\n", impl.Name(), c, run+1, err)
			return
		}
		if res.Runs[ci] == nil {
			res.Runs[ci] = map[string][]RunResult{}
		}
		res.Runs[ci][impl.Name()] = append(res.Runs[ci][impl.Name()], r)
		fmt.Fprintf(progress, "%-10s %-22v run %d: converge %.2fs detect %.2fs %.0f B/s (%.0fs)\n",
			impl.Name(), c, run+1, r.Converge.Max, r.Detect.Max, r.BytesPerNodeSec, took.Seconds())
	}
	one := func(run, ci int, c Case, impl Impl) {
		t := time.Now()
		r, err := Run(ctx, impl, RunOptions{N: c.N, Params: Matched(c.Probe), Seed: uint64(run + 1),
			Steady: p.Steady, Settle: p.Settle, Loss: c.Loss, LossWindow: p.LossWindow, Limit: p.Limit, ConvergeLimit: p.ConvergeLimit, OnSteady: p.OnSteady})
		if ctx.Err() == nil {
			record(run, ci, c, impl, r, err, time.Since(t))
		}
	}
	for run := range p.Runs {
		for ci, c := range cases {
			if p.ParallelSweep && !c.LAN {
				var wg sync.WaitGroup
				for _, impl := range order(run + ci) {
					wg.Add(1)
					go func() { defer wg.Done(); one(run, ci, c, impl) }()
				}
				wg.Wait()
			} else {
				for _, impl := range order(run + ci) {
					one(run, ci, c, impl)
				}
			}
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}
	if p.FlipFlop.N > 0 {
		p.flipFlops(ctx, res, progress)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	for _, n := range p.ScaleN {
		for s := range p.ScaleSeeds {
			r, err := Scale(n, uint64(s+1))
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("scale N=%d seed %d: %v", n, s+1, err))
				continue
			}
			res.Scale[n] = append(res.Scale[n], r)
			fmt.Fprintf(progress, "sim        N=%d seed %d: converge %.2fs detect %.2fs (%.0fs wall, %.0f MB)\n",
				n, s+1, r.ConvergeMax, r.DetectMax, r.WallSeconds, r.HeapMB)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}
	res.Wall = time.Since(res.Start)
	return res, nil
}

// flipFlops runs every flip-flop run at once: they measure outcomes, not
// time or CPU, and each runs mostly idle through its fault window.
func (p Plan) flipFlops(ctx context.Context, res *Results, progress io.Writer) {
	type out struct {
		r   FlipFlopResult
		err error
		run int
	}
	var wg sync.WaitGroup
	outs := make([]out, len(p.Impls)*p.Runs)
	for run := range p.Runs {
		for k, impl := range p.Impls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := p.FlipFlop
				o.Seed = uint64(run + 1)
				r, err := RunFlipFlop(ctx, impl, o)
				r.Impl = impl.Name()
				outs[run*len(p.Impls)+k] = out{r, err, run}
			}()
		}
	}
	wg.Wait()
	for _, o := range outs {
		if o.err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s flipflop run %d: %v", o.r.Impl, o.run+1, o.err))
			continue
		}
		res.FlipFlop[o.r.Impl] = append(res.FlipFlop[o.r.Impl], o.r)
		fmt.Fprintf(progress, "%-10s flipflop N=%d run %d: removed %.2f healthy failed %d\n",
			o.r.Impl, o.r.N, o.run+1, o.r.Removed, o.r.HealthyFailed)
	}
}
