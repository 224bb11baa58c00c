// Command gossipsim runs one libgossip scenario in the deterministic
// simulator and prints its figures as one JSON line.
//
//	go run ./gossip/cmd/gossipsim -nodes 1000 -scenario detect -seed 7
//
// The same flags always give the same figures, except wall_s, heap_mb and
// max_rss_mb. With -check it fails unless the run met its expectations
// (make soak runs 5,000 members so).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/libgossip/libgossip/gossip/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gossipsim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gossipsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o sim.Options
	fs.IntVar(&o.Nodes, "nodes", 100, "number of members")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed replays the same run")
	fs.Float64Var(&o.Loss, "loss", 0, "uniform packet loss in [0,1)")
	fs.Float64Var(&o.StreamFailure, "stream-fail", 0, "probability in [0,1) that a stream is refused or reset")
	fs.DurationVar(&o.Latency, "latency", time.Millisecond, "one-way packet latency")
	fs.DurationVar(&o.Jitter, "jitter", 0, "extra uniform random latency in [0, jitter)")
	fs.StringVar(&o.Scenario, "scenario", sim.ScenarioConverge, fmt.Sprintf("one of %v", sim.Scenarios))
	fs.DurationVar(&o.Duration, "duration", 60*time.Second, "fault duration (falsepos, partition, churn) and measuring window")
	fs.DurationVar(&o.Limit, "limit", 10*time.Minute, "bound on each waiting phase, virtual time")
	fs.StringVar(&o.Preset, "preset", "lan", "configuration preset: lan, wan or local")
	fs.BoolVar(&o.Prebuilt, "prebuilt", false, "start with the full membership merged instead of joining through a seed (formation not measured)")
	fs.BoolVar(&o.DisableEarlyGossip, "no-early-gossip", false, "members wait for their next regular gossip round to send news (the rule before early rounds)")
	fs.IntVar(&o.MaxUpdateQueue, "update-queue", 0, "override the preset's MaxUpdateQueue (pending membership updates per member)")
	fs.DurationVar(&o.Settle, "settle", 0, "run the formed cluster this long before the scenario goes on, so traffic is measured in the steady state")
	fs.DurationVar(&o.JoinSpread, "join-spread", 0, "spread the initial joins over this much virtual time")
	fs.DurationVar(&o.StallEvery, "stall-every", 0, "falsepos, detect: every member stalls (a loaded machine) on average this often during the fault")
	fs.DurationVar(&o.StallLength, "stall-length", 0, "falsepos, detect: each stall lasts a uniform random time up to this")
	trace := fs.Bool("trace", false, "write the event log to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile, taken when the scenario ends, to this file")
	check := fs.Bool("check", false, "exit with an error unless the run converged with no false failure (detect: every live member declared the crash), within -max-wall and -max-rss-mb")
	maxWall := fs.Duration("max-wall", 0, "with -check: the longest wall time allowed (0: no bound)")
	maxRSS := fs.Float64("max-rss-mb", 0, "with -check: the largest peak resident set allowed, in MiB (0: no bound)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *trace {
		o.Trace = stderr
	}
	if *memProfile != "" {
		o.AtEnd = func() {
			if err := writeHeapProfile(*memProfile); err != nil {
				fmt.Fprintln(stderr, "gossipsim:", err)
			}
		}
	}
	r, err := sim.RunScenario(o)
	if err != nil && r.Nodes == 0 {
		return err
	}
	out := output{Result: r, MaxRSSMB: maxRSSMB(), CPUSeconds: cpuSeconds()}
	b, jerr := json.Marshal(out)
	if jerr != nil {
		return jerr
	}
	fmt.Fprintln(stdout, string(b))
	if err == nil && *check {
		err = out.check(*maxWall, *maxRSS)
	}
	return err
}

// output is the JSON line: the scenario's result, the process's peak
// resident set and its CPU time (user and system; on a shared machine the
// steadier figure than wall time).
type output struct {
	sim.Result
	MaxRSSMB   float64 `json:"max_rss_mb"`
	CPUSeconds float64 `json:"cpu_s"`
}

// check returns an error naming every expectation the run missed.
func (o output) check(maxWall time.Duration, maxRSS float64) error {
	var errs []error
	if !o.Converged {
		errs = append(errs, errors.New("did not converge"))
	}
	if o.FalseFailures > 0 {
		errs = append(errs, fmt.Errorf("%d false failure declarations", o.FalseFailures))
	}
	if o.Scenario == sim.ScenarioDetect && (o.Detect == nil || o.Detect.N < o.Nodes-1) {
		n := 0
		if o.Detect != nil {
			n = o.Detect.N
		}
		errs = append(errs, fmt.Errorf("crash declared by %d of %d live members", n, o.Nodes-1))
	}
	if maxWall > 0 && o.WallSeconds > maxWall.Seconds() {
		errs = append(errs, fmt.Errorf("wall time %.0fs over %v", o.WallSeconds, maxWall))
	}
	if maxRSS > 0 && o.MaxRSSMB > maxRSS {
		errs = append(errs, fmt.Errorf("peak RSS %.0f MiB over %.0f MiB", o.MaxRSSMB, maxRSS))
	}
	if len(errs) > 0 {
		return fmt.Errorf("check failed: %w", errors.Join(errs...))
	}
	return nil
}

// writeHeapProfile writes the live heap, after a collection, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
