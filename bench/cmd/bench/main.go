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
// part of it), rewrites only that section of -out, between its markers,
// appending it if the file has none, and rewrites the frontier plot
// -frontier:
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
// -loss -json FILE also saves the raw results; -loss -from-json FILE
// renders the section and the plot again from them without running.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
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
	fromJSON := fs.String("from-json", "", "with -loss: render the loss section and frontier from this saved -json file instead of running")
	frontier := fs.String("frontier", "bench/frontier.svg", "with -loss: frontier SVG to rewrite (empty: none)")
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
		if *fromJSON != "" {
			return renderLoss(*fromJSON, *out, *frontier, cmd, progress)
		}
		return runLoss(lp, *out, *frontier, *jsonOut, cmd, progress)
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

// runLoss executes lp and rewrites the loss section of out.
func runLoss(lp bench.LossPlan, out, svg, jsonOut, cmd string, progress io.Writer) error {
	if lp.Window < 30*time.Second || lp.Window > 60*time.Second {
		fmt.Fprintf(progress, "note: loss window %s is outside the 30s-60s the report is meant for\n", lp.Window)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := lp.Execute(ctx, progress)
	if err != nil {
		return err
	}
	res.Cmd = cmd
	if jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if err := writeLoss(res, out, svg, cmd); err != nil {
		return err
	}
	fmt.Fprintf(progress, "rewrote the loss section of %s in %s\n", out, res.Wall.Round(time.Second))
	return nil
}

// renderLoss rewrites the loss section of out and the frontier svg from
// results saved with -json, without running anything.
func renderLoss(from, out, svg, cmd string, progress io.Writer) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var res bench.LossResults
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("-from-json %s: %w", from, err)
	}
	if err := writeLoss(&res, out, svg, cmd); err != nil {
		return err
	}
	fmt.Fprintf(progress, "rewrote the loss section of %s from %s\n", out, from)
	return nil
}

// writeLoss writes the frontier svg (unless svg is empty) and the loss
// section of out.
func writeLoss(res *bench.LossResults, out, svg, cmd string) error {
	rel := ""
	if svg != "" {
		var pic bytes.Buffer
		if err := res.WriteSVG(&pic); err != nil {
			return err
		}
		if err := os.WriteFile(svg, pic.Bytes(), 0o644); err != nil {
			return err
		}
		r, err := filepath.Rel(filepath.Dir(out), svg)
		if err != nil {
			r = svg
		}
		rel = filepath.ToSlash(r)
	}
	var sec bytes.Buffer
	if err := res.WriteMarkdown(&sec, rel, cmd); err != nil {
		return err
	}
	old, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(out, bench.ReplaceLossSection(old, sec.Bytes()), 0o644)
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
