// Command bench runs libgossip and hashicorp/memberlist side by side on
// loopback, plus libgossip's simulator at scale, and rewrites
// BENCHMARKS.md and the Pareto plot it links.
//
//	go run ./bench/cmd/bench -out BENCHMARKS.md -svg bench/pareto.svg
//
// The default set takes about 15 minutes on two cores. -short runs every
// scenario tiny, in seconds, to check the harness. The rewrite keeps the
// marked sections other commands own (heavy loss, cache) as they are.
//
// With -loss it runs the heavy-loss matrix instead (bench.DefaultLossPlan,
// about 2 hours; -loss-n, -loss-settings, -loss-cases and -runs select a
// part of it), merges the results into the loss store -loss-store (one
// entry per case: a case run again replaces its entry, the others stay),
// and renders from the whole store the loss section of -out, between its
// markers (appended if the file has none), and the frontier plot
// -frontier. The store and the plot default to bench/loss-results.json
// and bench/frontier.svg beside -out, so a run with -out elsewhere leaves
// the repository's alone; "none" turns either off (without a store the
// section shows this run's cases only):
//
//	go run ./bench/cmd/bench -loss -out BENCHMARKS.md -loss-n 64 -loss-settings fast -loss-cases 30+30s -runs 1
//
// -lan runs only the LAN lifecycle cases at the given sizes (no sweep,
// flip-flop or scale runs) and prints their tables instead of rewriting
// any file; -impls picks the implementations, -steady lengthens the steady
// window, -cpuprofile writes a CPU profile of each steady window and
// -memprofile a heap profile at its end (-memprofilerate 4096 samples
// finely enough to split a member's heap by owner):
//
//	go run ./bench/cmd/bench -lan 256 -runs 1 -impls libgossip -steady 20s -cpuprofile /tmp/lg
//
// -loss-missing runs only the selected cases the store does not hold
// yet, so that the same command, repeated, completes the matrix:
//
//	go run ./bench/cmd/bench -loss -out BENCHMARKS.md -loss-missing -loss-n 64 -loss-settings fast
//
// -loss -json FILE also saves this run's raw results; -loss -from-json
// FILE merges results saved that way into the store, without running, and
// renders the section and the plot again.
//
// -loss -loss-cost measures, instead of loss cases, what each selected
// setting costs: bytes per member-second in a quiet cluster of each
// selected size, per implementation (bench.RunCost). The costs go into
// the store, and the frontier counts a setting as dominated only by one
// that is no slower, fails no more members and costs no more:
//
//	go run ./bench/cmd/bench -loss -loss-cost -out BENCHMARKS.md -loss-n 64 -loss-settings fast,500ms,lan -runs 1
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/libgossip/libgossip/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, progress io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	out := fs.String("out", "BENCHMARKS.md", "Markdown file to rewrite")
	svg := fs.String("svg", "bench/pareto.svg", "SVG plot to rewrite")
	jsonOut := fs.String("json", "", "also write the raw results as JSON to this file")
	short := fs.Bool("short", false, "run the tiny plan (seconds) instead of the default set")
	runs := fs.Int("runs", 0, "repetitions of every case (default: the plan's)")
	loss := fs.Bool("loss", false, "run the heavy-loss matrix and rewrite only its section of -out")
	lossN := fs.String("loss-n", "", "with -loss: comma-separated cluster sizes (default 64,256)")
	lossSettings := fs.String("loss-settings", "", "with -loss: comma-separated settings among fast, 500ms, lan, 2s, fast-s1, fast-s4, fast-nodamp, fast-nolate (default fast,lan)")
	lossCases := fs.String("loss-cases", "", "with -loss: comma-separated scenario names (default all: 10,30,30+30s,50,sick80)")
	fromJSON := fs.String("from-json", "", "with -loss: merge the results saved in this -json file into the store and render, instead of running")
	frontier := fs.String("frontier", "", "with -loss: frontier SVG to rewrite (default: bench/frontier.svg in -out's directory; none: no plot)")
	lossCost := fs.Bool("loss-cost", false, "with -loss: measure every selected size and setting's cost (bytes per member-second in a quiet cluster, the frontier's third axis) instead of running the loss cases")
	missing := fs.Bool("loss-missing", false, "with -loss: run only the selected cases the store does not hold yet")
	store := fs.String("loss-store", "", "with -loss: JSON file of every case's results, merged and rendered (default: bench/loss-results.json in -out's directory; none: this run only)")
	lossWindow := fs.Duration("loss-window", 0, "with -loss: how long each condition lasts, 30s to 60s (default 30s)")
	lan := fs.String("lan", "", "comma-separated sizes: run only these LAN cases and print their tables (no file is rewritten)")
	lossTrace := fs.String("loss-trace", "", "with -loss: append every false failure declaration to this file")
	impls := fs.String("impls", "", "comma-separated implementations among libgossip, memberlist (default both)")
	steady := fs.Duration("steady", 0, "length of the steady window (default: the plan's)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of every steady window to PREFIX.IMPL.N.SEED.pprof")
	memprofile := fs.String("memprofile", "", "write a heap profile at the end of every steady window to PREFIX.IMPL.N.SEED.heap")
	memrate := fs.Int("memprofilerate", 0, "with -memprofile: sample one allocation per this many bytes (default the runtime's 512 KiB; smaller is finer and slower)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lan != "" {
		p := bench.DefaultPlan()
		sizes, err := pickSizes("-lan", *lan, nil)
		if err != nil {
			return err
		}
		p = p.LANOnly(sizes)
		if *runs > 0 {
			p.Runs = *runs
		}
		if *steady > 0 {
			p.Steady = *steady
		}
		all := []bench.Impl{bench.LibGossip{}, bench.Memberlist{}}
		if p.Impls, err = pick(*impls, all, bench.Impl.Name); err != nil {
			return err
		}
		if *memprofile != "" && *memrate > 0 {
			runtime.MemProfileRate = *memrate
		}
		if *cpuprofile != "" || *memprofile != "" {
			p.OnSteady = steadyProfile(*cpuprofile, *memprofile, progress)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		res, err := p.Execute(ctx, progress)
		if err != nil {
			return err
		}
		return res.WriteCaseTables(os.Stdout)
	}
	if *loss {
		lp := bench.DefaultLossPlan()
		if *runs > 0 {
			lp.Runs = *runs
		}
		if *lossWindow > 0 {
			lp.Window = *lossWindow
		}
		var err error
		if lp.Sizes, err = pickSizes("-loss-n", *lossN, lp.Sizes); err != nil {
			return err
		}
		if *lossSettings != "" {
			lp.Settings = bench.LossSettings()
		}
		if lp.Settings, err = pick(*lossSettings, lp.Settings, func(s bench.LossSetting) string { return s.Name }); err != nil {
			return err
		}
		if lp.Scenarios, err = pick(*lossCases, lp.Scenarios, func(s bench.LossScenario) string { return s.Name }); err != nil {
			return err
		}
		if *lossTrace != "" {
			f, err := os.OpenFile(*lossTrace, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			lp.Trace = f
		}
		all := []bench.Impl{bench.LibGossip{}, bench.Memberlist{}}
		if lp.Impls, err = pick(*impls, all, bench.Impl.Name); err != nil {
			return err
		}
		cmd := "go run ./bench/cmd/bench " + strings.Join(args, " ")
		paths := lossPaths{out: *out, svg: beside(*out, *frontier, "frontier.svg"), store: beside(*out, *store, "loss-results.json")}
		if *fromJSON != "" {
			return renderLoss(*fromJSON, paths, cmd, progress)
		}
		if *lossCost {
			return runCosts(lp, paths, *missing, cmd, progress)
		}
		return runLoss(lp, paths, *missing, *jsonOut, cmd, progress)
	}
	p := bench.DefaultPlan()
	if *short {
		p = bench.ShortPlan()
	}
	if *runs > 0 {
		p.Runs = *runs
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := p.Execute(ctx, progress)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(*out), *svg)
	if err != nil {
		rel = *svg
	}
	var md, pic bytes.Buffer
	cmd := "go run ./bench/cmd/bench " + strings.Join(args, " ")
	if err := res.WriteMarkdown(&md, filepath.ToSlash(rel), strings.TrimSpace(cmd)); err != nil {
		return err
	}
	if err := res.WriteSVG(&pic); err != nil {
		return err
	}
	doc := md.Bytes()
	if old, err := os.ReadFile(*out); err == nil {
		for _, sec := range bench.Sections(old) {
			doc = bench.ReplaceSection(doc, sec)
		}
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(*svg, pic.Bytes(), 0o644); err != nil {
		return err
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "wrote %s and %s in %s\n", *out, *svg, res.Wall.Round(1e9))
	return nil
}

// lossPaths are the files a loss run writes: the Markdown file, the
// frontier plot and the store ("" for none).
type lossPaths struct{ out, svg, store string }

// beside returns flag value v: by default (empty) the file name in a
// directory bench beside out, "" for "none", else v.
func beside(out, v, name string) string {
	switch v {
	case "":
		return filepath.Join(filepath.Dir(out), "bench", name)
	case "none":
		return ""
	}
	return v
}

// runLoss executes lp, merges its results into the store and rewrites the
// loss section of out and the plot.
// With missing it runs only the cases the store does not hold.
func runLoss(lp bench.LossPlan, paths lossPaths, missing bool, jsonOut, cmd string, progress io.Writer) error {
	if lp.Window < 30*time.Second || lp.Window > 60*time.Second {
		fmt.Fprintf(progress, "note: loss window %s is outside the 30s-60s the report is meant for\n", lp.Window)
	}
	// A store that cannot be read stops the run before it starts.
	st, err := loadStore(paths.store)
	if err != nil {
		return err
	}
	var run []string
	for _, c := range lp.Cases() {
		if missing && st.Has(c.Key()) {
			lp.Skip = append(lp.Skip, c.Key())
		} else {
			run = append(run, c.Key())
		}
	}
	if len(run) == 0 {
		fmt.Fprintln(progress, "the store holds every selected case: nothing to run")
		return nil
	}
	fmt.Fprintf(progress, "running %d case(s): %s\n", len(run), strings.Join(run, ", "))
	rev := commit() // the tree the run starts from, before anyone commits during it
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := lp.Execute(ctx, progress)
	if err != nil {
		return err
	}
	res.Cmd, res.Commit = cmd, rev
	if jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if err := writeLoss(st, res, paths, cmd, progress); err != nil {
		return err
	}
	fmt.Fprintf(progress, "rewrote the loss section of %s in %s\n", paths.out, res.Wall.Round(time.Second))
	return nil
}

// runCosts measures the cost of every size × setting × implementation of
// lp (with missing, only those the store lacks), stores them and rewrites
// the loss section of out and the plot.
func runCosts(lp bench.LossPlan, paths lossPaths, missing bool, cmd string, progress io.Writer) error {
	st, err := loadStore(paths.store)
	if err != nil {
		return err
	}
	var skip []string
	if missing {
		for _, c := range st.Costs {
			skip = append(skip, c.Key())
		}
	}
	rev := commit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	costs, errs, err := lp.ExecuteCosts(ctx, skip, progress)
	if err != nil {
		return err
	}
	if len(costs) == 0 {
		if len(errs) > 0 {
			return fmt.Errorf("no cost measured: %s", strings.Join(errs, "; "))
		}
		fmt.Fprintln(progress, "the store holds every selected cost: nothing to run")
		return nil
	}
	for i := range costs {
		costs[i].Measured.Cmd, costs[i].Measured.Commit = cmd, rev
	}
	fmt.Fprintf(progress, "costs measured by this run: %s\n", strings.Join(st.MergeCosts(costs), ", "))
	return writeLoss(st, &bench.LossResults{}, paths, cmd, progress)
}

// renderLoss merges results saved with -json into the store and rewrites
// the loss section of out and the plot, without running anything.
func renderLoss(from string, paths lossPaths, cmd string, progress io.Writer) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var res bench.LossResults
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("-from-json %s: %w", from, err)
	}
	st, err := loadStore(paths.store)
	if err != nil {
		return err
	}
	if err := writeLoss(st, &res, paths, cmd, progress); err != nil {
		return err
	}
	fmt.Fprintf(progress, "rewrote the loss section of %s from %s\n", paths.out, from)
	return nil
}

// loadStore reads the store at path, or returns an empty one for "".
func loadStore(path string) (*bench.LossStore, error) {
	if path == "" {
		return &bench.LossStore{}, nil
	}
	return bench.LoadLossStore(path)
}

// writeLoss merges res into st, saves st (unless paths.store is empty),
// and writes the frontier plot (unless paths.svg is empty) and the loss
// section of paths.out from it.
func writeLoss(st *bench.LossStore, res *bench.LossResults, paths lossPaths, cmd string, progress io.Writer) error {
	keys := st.Merge(res)
	fmt.Fprintf(progress, "cases measured by this run: %s\n", listOrNone(keys))
	var kept []string
	for _, c := range st.Cases {
		if !slices.Contains(keys, c.Key()) {
			kept = append(kept, c.Key())
		}
	}
	fmt.Fprintf(progress, "cases kept from earlier runs: %s\n", listOrNone(kept))
	var pic, sec bytes.Buffer
	rel := ""
	if paths.svg != "" {
		if err := st.WriteSVG(&pic); err != nil {
			return err
		}
		r, err := filepath.Rel(filepath.Dir(paths.out), paths.svg)
		if err != nil {
			r = paths.svg
		}
		rel = filepath.ToSlash(r)
	}
	if err := st.WriteMarkdown(&sec, rel, cmd); err != nil {
		return err
	}
	old, err := os.ReadFile(paths.out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, p := range []string{paths.store, paths.svg} {
		if p != "" {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
	}
	if paths.store != "" {
		if err := st.Save(paths.store); err != nil {
			return err
		}
	}
	if paths.svg != "" {
		if err := os.WriteFile(paths.svg, pic.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(paths.out, bench.ReplaceLossSection(old, sec.Bytes()), 0o644)
}

func listOrNone(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// commit returns the checked-out revision of the working directory's git
// tree, with "+dirty" if tracked Go sources or module files have
// uncommitted changes, or "" if git cannot tell.
func commit() string {
	b, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(b))
	d, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", "*.go", "*go.mod", "*go.sum").Output()
	if err == nil && len(bytes.TrimSpace(d)) > 0 {
		c += "+dirty"
	}
	return c
}

// pickSizes parses the comma-separated list of sizes of flag name; empty
// keeps def.
func pickSizes(name, list string, def []int) ([]int, error) {
	if list == "" {
		return def, nil
	}
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 4 {
			return nil, fmt.Errorf("%s: bad size %q (need an integer of at least 4)", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// pick keeps the items of all named in the comma-separated list, in the
// list's order; empty keeps all.
func pick[T any](list string, all []T, name func(T) string) ([]T, error) {
	if list == "" {
		return all, nil
	}
	var out []T
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		i := slices.IndexFunc(all, func(t T) bool { return name(t) == f })
		if i < 0 {
			var names []string
			for _, t := range all {
				names = append(names, name(t))
			}
			return nil, fmt.Errorf("unknown name %q (have %s)", f, strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// steadyProfile returns a Plan.OnSteady that writes a CPU profile of each
// steady window to cpu.IMPL.N.SEED.pprof and a heap profile at its end to
// mem.IMPL.N.SEED.heap (an empty prefix writes none).
func steadyProfile(cpu, mem string, progress io.Writer) func(string, int, uint64) func() {
	return func(impl string, n int, seed uint64) func() {
		suffix := fmt.Sprintf(".%s.%d.%d", impl, n, seed)
		stop := func() {}
		if cpu != "" {
			stop = startCPUProfile(cpu+suffix+".pprof", progress)
		}
		return func() {
			stop()
			if mem != "" {
				writeHeapProfile(mem+suffix+".heap", progress)
			}
		}
	}
}

// startCPUProfile starts a CPU profile into name and returns its stop.
func startCPUProfile(name string, progress io.Writer) func() {
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(progress, "cpuprofile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(progress, "cpuprofile:", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(progress, "cpuprofile:", err)
		}
	}
}

// writeHeapProfile writes the live heap, after a collection, to name.
func writeHeapProfile(name string, progress io.Writer) {
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(progress, "memprofile:", err)
		return
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(progress, "memprofile:", err)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(progress, "memprofile:", err)
	}
}
