package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// LossSetting is a named set of protocol settings for the loss runs.
type LossSetting struct {
	// Name is one of LossSettings' names (flags and tables).
	Name string `json:"name"`
	// Params are the settings (zero fields: each library's LAN default).
	Params Params `json:"params"`
}

// LossSettings are the settings the loss runs can use: "fast"
// (FastParams), "500ms" (Matched(500ms)), "lan" (each library's LAN
// defaults) and "2s" (Matched(2s)); then variants of fast: "fast-s1" and
// "fast-s4" (SuspicionMult 1 and 4 in both libraries) and "fast-nodamp"
// (libgossip's flap damping off; for memberlist, which has none, the same
// as fast) and "fast-nolate" (libgossip's lateness rule off; memberlist:
// the same as fast). The default plan runs fast and lan; the others add points to
// the frontier.
func LossSettings() []LossSetting {
	with := func(f func(*Params)) Params {
		p := FastParams()
		f(&p)
		return p
	}
	return []LossSetting{{"fast", FastParams()}, {"500ms", Matched(500 * time.Millisecond)}, {"lan", Params{}}, {"2s", Matched(2 * time.Second)},
		{"fast-s1", with(func(p *Params) { p.SuspicionMult = 1 })},
		{"fast-s4", with(func(p *Params) { p.SuspicionMult = 4 })},
		{"fast-nodamp", with(func(p *Params) { p.FlapThreshold = -1 })},
		{"fast-nolate", with(func(p *Params) { p.NoLateHold = true })}}
}

// LossPlan is the matrix of `make bench-loss`: every size × setting ×
// scenario, Runs times, the implementations one after the other
// (alternating which goes first) so that neither competes with the other
// for the CPU.
type LossPlan struct {
	// Impls are the implementations compared. Default LibGossip and
	// Memberlist. Not saved in JSON: LossResults.Impls keeps their names.
	Impls []Impl `json:"-"`
	// Trace, if set, gets every run's false failure declarations (see
	// LossOptions.Trace). Not saved in JSON.
	Trace io.Writer `json:"-"`
	// Runs is the number of repetitions of every case. Default 3.
	Runs int
	// Sizes are the cluster sizes, Settings the protocol settings and
	// Scenarios the conditions; the matrix is their product.
	Sizes     []int
	Settings  []LossSetting
	Scenarios []LossScenario
	// Window, ConvergeLimit and HealLimit are passed to RunLoss.
	Window, ConvergeLimit, HealLimit time.Duration
	// Skip holds the keys (LossCase.Key) of cases not to run, such as
	// those a LossStore already holds. Not saved in JSON.
	Skip []string `json:"-"`
}

// DefaultLossPlan is N = 64 and 256, fast and LAN settings, every
// LossScenario, 30s windows, 3 runs: about 2 hours on two cores.
func DefaultLossPlan() LossPlan {
	all := LossSettings()
	return LossPlan{Runs: 3, Sizes: []int{64, 256}, Settings: []LossSetting{all[0], all[2]}, Scenarios: LossScenarios(),
		Window: 30 * time.Second, ConvergeLimit: 30 * time.Second, HealLimit: 60 * time.Second}
}

// LossCase is one cell of the matrix.
type LossCase struct {
	N        int
	Setting  LossSetting
	Scenario LossScenario
}

func (c LossCase) String() string {
	return fmt.Sprintf("N=%d %s %s", c.N, c.Setting.Name, c.Scenario.Name)
}

// Key names the case as a LossStore does: "N/setting/scenario".
func (c LossCase) Key() string { return lossKey(c.N, c.Setting.Name, c.Scenario.Name) }

func lossKey(n int, setting, scenario string) string {
	return fmt.Sprintf("%d/%s/%s", n, setting, scenario)
}

// Cases lists the matrix in run order: by size, then setting, then
// scenario.
func (p LossPlan) Cases() []LossCase {
	var cs []LossCase
	for _, n := range p.Sizes {
		for _, s := range p.Settings {
			for _, sc := range p.Scenarios {
				cs = append(cs, LossCase{N: n, Setting: s, Scenario: sc})
			}
		}
	}
	return cs
}

// LossResults are everything a LossPlan measured.
type LossResults struct {
	// Plan is the plan as run (Impls and Runs filled in).
	Plan LossPlan
	// Start is when the plan started; Wall how long it took.
	Start time.Time
	Wall  time.Duration
	// Runs holds the results per case (index into Plan.Cases) and
	// implementation name.
	Runs map[int]map[string][]LossRunResult
	// Errors are runs that could not be started.
	Errors []string
	// Impls are the names of Plan.Impls, in order.
	Impls []string
	// Cmd is the command line that measured the results, if its caller
	// set it; a report rendered later from saved results names it.
	Cmd string `json:",omitempty"`
	// Commit is the source revision that measured the results, if its
	// caller set it.
	Commit string `json:",omitempty"`
	// Machine and Go describe where they were measured (set by Execute).
	Machine string `json:",omitempty"`
	Go      string `json:",omitempty"`
}

// Execute runs p, writing one progress line per run to progress.
func (p LossPlan) Execute(ctx context.Context, progress io.Writer) (*LossResults, error) {
	if len(p.Impls) == 0 {
		p.Impls = []Impl{LibGossip{}, Memberlist{}}
	}
	if p.Runs == 0 {
		p.Runs = 3
	}
	res := &LossResults{Plan: p, Start: time.Now(), Runs: map[int]map[string][]LossRunResult{}, Impls: implNamesOf(p.Impls),
		Machine: Machine(), Go: runtime.Version()}
	for run := range p.Runs {
		for ci, c := range p.Cases() {
			if slices.Contains(p.Skip, c.Key()) {
				continue
			}
			order := p.Impls
			if (run+ci)%2 == 1 {
				order = slices.Clone(p.Impls)
				slices.Reverse(order)
			}
			for _, impl := range order {
				t := time.Now()
				r, err := RunLoss(ctx, impl, LossOptions{N: c.N, Params: c.Setting.Params, Seed: uint64(run + 1),
					Scenario: c.Scenario, Window: p.Window, ConvergeLimit: p.ConvergeLimit, HealLimit: p.HealLimit, Trace: p.Trace})
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				if err != nil {
					res.Errors = append(res.Errors, fmt.Sprintf("%s %v run %d: %v", impl.Name(), c, run+1, err))
					fmt.Fprintf(progress, "%-10s %-22v run %d: error %v\n", impl.Name(), c, run+1, err)
					continue
				}
				if res.Runs[ci] == nil {
					res.Runs[ci] = map[string][]LossRunResult{}
				}
				res.Runs[ci][impl.Name()] = append(res.Runs[ci][impl.Name()], r)
				fmt.Fprintf(progress, "%-10s %-22v run %d: false failures %d (%d members) suspicions %d refutations %d heal %.2fs%s detect %.2fs (%.0fs)\n",
					impl.Name(), c, run+1, r.FalseFailures, r.FalselyFailed, r.Suspicions, r.Refutations, r.Heal.Max,
					missingNote(r.Heal.Missing), r.Detect.Max, time.Since(t).Seconds())
			}
		}
	}
	res.Wall = time.Since(res.Start)
	return res, nil
}

func missingNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" [%d not healed]", n)
}
