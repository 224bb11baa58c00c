package bench

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Machine describes where the figures were taken.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s/%s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

type row struct {
	name string
	verb string
	f    func(RunResult) float64
	// lowerBound marks figures that hit a limit in some run.
	missing func(RunResult) int
}

func lifecycleRows(c Case) []row {
	rows := []row{
		{"converge p50 (s)", "%.2f", func(r RunResult) float64 { return r.Converge.P50 }, func(r RunResult) int { return r.Converge.Missing }},
		{"converge max (s)", "%.2f", func(r RunResult) float64 { return r.Converge.Max }, func(r RunResult) int { return r.Converge.Missing }},
		{"meta p50 (s)", "%.3f", func(r RunResult) float64 { return r.Meta.P50 }, func(r RunResult) int { return r.Meta.Missing }},
		{"meta max (s)", "%.3f", func(r RunResult) float64 { return r.Meta.Max }, func(r RunResult) int { return r.Meta.Missing }},
		{"first suspicion (s)", "%.2f", func(r RunResult) float64 { return r.FirstSuspect }, nil},
		{"detect p50 (s)", "%.2f", func(r RunResult) float64 { return r.Detect.P50 }, func(r RunResult) int { return r.Detect.Missing }},
		{"detect max (s)", "%.2f", func(r RunResult) float64 { return r.Detect.Max }, func(r RunResult) int { return r.Detect.Missing }},
		{"leave max (s)", "%.3f", func(r RunResult) float64 { return r.Leave.Max }, func(r RunResult) int { return r.Leave.Missing }},
		{"sent bytes/node/s", "%.0f", func(r RunResult) float64 { return r.BytesPerNodeSec }, nil},
		{"… of which streams", "%.0f", func(r RunResult) float64 { return r.StreamBytesPerNodeSec }, nil},
		{"sent packets/node/s", "%.2f", func(r RunResult) float64 { return r.PacketsPerNodeSec }, nil},
		{"CPU µs/node-s", "%.0f", func(r RunResult) float64 { return r.CPUPerNodeSec * 1e6 }, nil},
		{"heap KB/node", "%.0f", func(r RunResult) float64 { return r.HeapPerNodeKB }, nil},
	}
	for i, l := range c.Loss {
		rows = append(rows,
			row{fmt.Sprintf("false failures, %.0f%% loss %s", l*100, "(count)"), "%.0f", func(r RunResult) float64 {
				if i < len(r.Loss) {
					return float64(r.Loss[i].FalseFailures)
				}
				return math.NaN()
			}, nil},
			row{fmt.Sprintf("suspicions, %.0f%% loss %s", l*100, "(count)"), "%.0f", func(r RunResult) float64 {
				if i < len(r.Loss) {
					return float64(r.Loss[i].Suspicions)
				}
				return math.NaN()
			}, nil})
	}
	return rows
}

func missingOf[T any](rs []T, f func(T) int) int {
	n := 0
	if f == nil {
		return 0
	}
	for _, r := range rs {
		n += f(r)
	}
	return n
}

// WriteMarkdown writes BENCHMARKS.md for res; svgPath is the Pareto
// plot's path relative to the Markdown file, and cmd the command line.
func (res *Results) WriteMarkdown(w io.Writer, svgPath, cmd string) error {
	var b bytes.Buffer
	p := res.Plan
	names := implNames(p)
	fmt.Fprintf(&b, "# Benchmarks: libgossip against hashicorp/memberlist\n\n")
	fmt.Fprintf(&b, "Written by `%s` — do not edit by hand; rerun it (or `make bench`).\n\n", cmd)
	fmt.Fprintf(&b, "- Date: %s\n- Machine: %s\n- Go: %s\n- memberlist: v0.7.0 (DefaultLANConfig, NetTransport)\n", res.Start.UTC().Format(time.RFC3339), Machine(), runtime.Version())
	fmt.Fprintf(&b, "- Wall time: %s; %d repetition(s) of every case, implementations alternating which runs first.\n", res.Wall.Round(time.Second), p.Runs)
	fmt.Fprintf(&b, "- Every cell is `median (min–max)` over the repetitions; a ratio is libgossip's median over memberlist's.\n\n")
	b.WriteString(`## How it is measured

All members of a cluster run in this one process on 127.0.0.1 with real UDP
and TCP sockets: libgossip's ` + "`net`" + ` hybrid transport, memberlist's
NetTransport. The same fault injector (` + "`bench/fault`" + `) wraps both
transports and counts what each member sends (packets, packet bytes and
stream bytes, before any fault drops them). One run of a case goes through:

1. **converge**: N members join through member 0; time from the first join
   until each member counts all N (p50 and max over members);
2. **meta**: member 1 changes its metadata; time until each other member sees
   the new value;
3. **detect**: the last member crashes (its injector drops everything, then it
   is shut down without leaving); time to the first suspicion anywhere and
   until each live member declares it failed;
4. **steady**: after a ` + p.Settle.String() + ` pause, a ` + p.Steady.String() + ` window: bytes and packets sent
   per member per second, process CPU (getrusage, user+system) per member per
   second, live heap after GC per member (less the heap before the cluster
   started; libgossip's includes a subscription with the default 256-event
   buffer per member, whose memory beyond 16 events is taken only while its
   reader lags);
5. **falsepos**: uniform packet loss on every member for ` + p.LossWindow.String() + ` per rate
   (streams are not dropped); failure declarations and suspicions of live
   members are counted, then the cluster recovers;
6. **leave**: member 2 leaves gracefully; time until each other member sees it
   gone (memberlist v0.7.0 cannot tell a leave from a failure in its
   callbacks, so either counts).

A phase that does not finish within its limit (converge ` + p.ConvergeLimit.String() + `, others
` + p.Limit.String() + `) counts the limit for the missing members; such cells are marked
with ≥ and the number of missing member-runs.

Both libraries' LAN defaults use the same probe interval (1 s), probe timeout
(500 ms), gossip interval (200 ms) and fanout (3), so the LAN rows are also
the matched pair at 1 s. The sweep's matched pairs use, for probe interval p,
probe timeout p/2, gossip interval p/5 and fanout 3; everything else stays at
each library's LAN default (memberlist: SuspicionMult 4, RetransmitMult 4,
compression on; libgossip: SuspicionMult 2, RetransmitMult 4, confirmation
probes, catch-up syncs).

`)
	if p.ParallelSweep {
		b.WriteString("To fit the time budget, the two implementations of each sweep case run at the\nsame time (the LAN cases, whose CPU and heap figures are process-wide, run one\nat a time). Detection and bandwidth are counted per cluster.\n\n")
	}
	cases := p.Cases()
	for ci, c := range cases {
		if !c.LAN && !(c.Probe == 500*time.Millisecond) {
			continue
		}
		title := fmt.Sprintf("LAN defaults, N = %d", c.N)
		if !c.LAN {
			title = fmt.Sprintf("Matched pair at probe interval %v, N = %d", c.Probe, c.N)
		}
		fmt.Fprintf(&b, "## %s\n\n", title)
		res.caseTable(&b, ci, c, names)
	}

	fmt.Fprintf(&b, "## Pareto sweep: detection against bandwidth, N = %d\n\n", p.SweepN)
	fmt.Fprintf(&b, "![detection max against bytes per member per second](%s)\n\n", svgPath)
	fmt.Fprintf(&b, "| probe interval | impl | detect max (s) | bytes/node/s | false failures at 10%% loss |\n|---|---|---|---|---|\n")
	for _, pt := range res.sweep() {
		fmt.Fprintf(&b, "| %v | %s | %s | %s | %s |\n", pt.probe, pt.impl, pt.detect.format("%.2f"), pt.bytes.format("%.0f"), pt.fp.format("%.0f"))
	}
	b.WriteString("\n")
	res.paretoTargets(&b)

	if len(res.FlipFlop) > 0 {
		fo := p.FlipFlop
		fo.fill()
		fmt.Fprintf(&b, "## Flip-flop: asymmetric fault\n\n")
		fmt.Fprintf(&b, "N = %d, %.0f%% of members (at least one) drop %.0f%% of inbound packets and streams, on and off every %v for %v; all repetitions of both implementations run at once (the figures are outcomes, not times).\n\n",
			fo.N, fo.Faulty*100, fo.RecvLoss*100, fo.Period, fo.Window)
		fmt.Fprintf(&b, "| | %s |\n|---|%s\n", strings.Join(names, " | "), strings.Repeat("---|", len(names)))
		frows := []struct {
			name, verb string
			f          func(FlipFlopResult) float64
		}{
			{"faulty members removed (smallest share of healthy members that declared each failed)", "%.2f", func(r FlipFlopResult) float64 { return r.Removed }},
			{"first removal (s after fault start; -1: none)", "%.1f", func(r FlipFlopResult) float64 { return r.FirstRemoval }},
			{"healthy members declared failed by healthy members", "%.0f", func(r FlipFlopResult) float64 { return float64(r.HealthyFailed) }},
			{"healthy members declared failed by the faulty members", "%.0f", func(r FlipFlopResult) float64 { return float64(r.HealthyFailedByFaulty) }},
		}
		for _, fr := range frows {
			fmt.Fprintf(&b, "| %s |", fr.name)
			for _, n := range names {
				fmt.Fprintf(&b, " %s |", collect(res.FlipFlop[n], fr.f).format(fr.verb))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}

	if len(res.Scale) > 0 {
		b.WriteString("## Scale: libgossip in the simulator (virtual time, LAN preset)\n\n")
		fmt.Fprintf(&b, "`gossip/sim`, %d seed(s) per size, 1 ms latency, no loss. Rounds are gossip intervals (200 ms). The epidemic bound is log₄ N + ln N / 3 rounds (fanout 3). "+
			"Traffic is the steady state: messages and bytes each member sent per second over %v, measured %v after the cluster formed (formation's announcements, repair and catch-up exchanges are over), no fault.\n\n",
			p.ScaleSeeds, ScaleWindow, ScaleSettle)
		b.WriteString("| N | converge max (s) | rounds | epidemic bound (rounds) | first suspicion (s) | detect p50 (s) | detect max (s) | steady msgs/node/s | steady bytes/node/s | wall (s) | heap (MB) |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		var ns []int
		for n := range res.Scale {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		for _, n := range ns {
			rs := res.Scale[n]
			f := func(g func(ScaleResult) float64, verb string) string { return collect(rs, g).format(verb) }
			fmt.Fprintf(&b, "| %d | %s | %s | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", n,
				f(func(r ScaleResult) float64 { return r.ConvergeMax }, "%.2f"),
				f(func(r ScaleResult) float64 { return r.ConvergeRounds }, "%.1f"),
				EpidemicRounds(n, 3),
				f(func(r ScaleResult) float64 { return r.FirstSuspect }, "%.2f"),
				f(func(r ScaleResult) float64 { return r.DetectP50 }, "%.2f"),
				f(func(r ScaleResult) float64 { return r.DetectMax }, "%.2f"),
				f(func(r ScaleResult) float64 { return r.MsgsPerNodeSec }, "%.1f"),
				f(func(r ScaleResult) float64 { return r.BytesPerNodeSec }, "%.0f"),
				f(func(r ScaleResult) float64 { return r.WallSeconds }, "%.1f"),
				f(func(r ScaleResult) float64 { return r.HeapMB }, "%.0f"))
		}
		b.WriteString("\nN = 5,000 and 10,000 are not part of this run (each scenario takes\n" +
			"minutes there); `make soak` checks 5,000, and gossip/sim/SCALE.md has the\n" +
			"10,000-member figures and commands, e.g.\n" +
			"`GOMEMLIMIT=12GiB go run ./gossip/cmd/gossipsim -nodes 10000 -scenario detect -join-spread 60s -update-queue 256`.\n")
	}
	if len(res.Errors) > 0 {
		b.WriteString("## Runs that failed to start\n\n")
		for _, e := range res.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func implNames(p Plan) []string {
	if len(p.Impls) == 0 {
		return []string{LibGossip{}.Name(), Memberlist{}.Name()}
	}
	var out []string
	for _, i := range p.Impls {
		out = append(out, i.Name())
	}
	return out
}

func (res *Results) caseTable(b *bytes.Buffer, ci int, c Case, names []string) {
	fmt.Fprintf(b, "| figure | %s | ratio |\n|---|%s---|\n", strings.Join(names, " | "), strings.Repeat("---|", len(names)))
	for _, rw := range lifecycleRows(c) {
		runs := make([][]RunResult, len(names))
		for i, n := range names {
			runs[i] = res.Runs[ci][n]
		}
		writeFigureRow(b, rw.name, rw.verb, runs, rw.f, rw.missing)
	}
	b.WriteString("\n")
}

type sweepPoint struct {
	impl              string
	probe             time.Duration
	detect, bytes, fp Stat
}

func (res *Results) sweep() []sweepPoint {
	p := res.Plan
	var out []sweepPoint
	for _, n := range implNames(p) {
		for ci, c := range p.Cases() {
			if c.N != p.SweepN || !slices.Contains(p.Sweep, c.Probe) {
				continue
			}
			rs := res.Runs[ci][n]
			if len(rs) == 0 {
				continue
			}
			out = append(out, sweepPoint{impl: n, probe: c.Probe,
				detect: collect(rs, func(r RunResult) float64 { return r.Detect.Max }),
				bytes:  collect(rs, func(r RunResult) float64 { return r.BytesPerNodeSec }),
				fp: collect(rs, func(r RunResult) float64 {
					for _, l := range r.Loss {
						if l.Loss == 0.10 {
							return float64(l.FalseFailures)
						}
					}
					return math.NaN()
				})})
		}
	}
	return out
}

// interpolate returns libgossip's detection time at bandwidth x on its
// sweep curve, or false if x is outside the curve.
func interpolate(pts []sweepPoint, x float64) (float64, bool) {
	pts = slices.Clone(pts)
	slices.SortFunc(pts, func(a, b sweepPoint) int { return cmpFloat(a.bytes.Med, b.bytes.Med) })
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		if x >= a.bytes.Med && x <= b.bytes.Med {
			if b.bytes.Med == a.bytes.Med {
				return min(a.detect.Med, b.detect.Med), true
			}
			t := (x - a.bytes.Med) / (b.bytes.Med - a.bytes.Med)
			return a.detect.Med + t*(b.detect.Med-a.detect.Med), true
		}
	}
	if len(pts) == 1 && pts[0].bytes.Med == x {
		return pts[0].detect.Med, true
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (res *Results) paretoTargets(b *bytes.Buffer) {
	var lg, ml []sweepPoint
	for _, pt := range res.sweep() {
		switch pt.impl {
		case "libgossip":
			lg = append(lg, pt)
		case "memberlist":
			ml = append(ml, pt)
		}
	}
	if len(lg) == 0 || len(ml) == 0 {
		return
	}
	b.WriteString("Target: at equal bytes per member per second, libgossip's detection max at most half of memberlist's. For each memberlist point, libgossip's detection time is read off its own curve (linear between its sweep points) at the same bandwidth:\n\n")
	b.WriteString("| memberlist point | bytes/node/s | memberlist detect max (s) | libgossip detect max at that bandwidth (s) | ratio |\n|---|---|---|---|---|\n")
	for _, m := range ml {
		d, ok := interpolate(lg, m.bytes.Med)
		if !ok {
			fmt.Fprintf(b, "| %v | %.0f | %.2f | outside libgossip's swept range | – |\n", m.probe, m.bytes.Med, m.detect.Med)
			continue
		}
		fmt.Fprintf(b, "| %v | %.0f | %.2f | %.2f | %.2f |\n", m.probe, m.bytes.Med, m.detect.Med, d, d/m.detect.Med)
	}
	b.WriteString("\n")
}

// WriteCaseTables writes only the lifecycle table of every case that ran,
// each under a heading, with the plan's runs: the output of a quick
// measurement (Plan.LANOnly) that should not rewrite BENCHMARKS.md.
func (res *Results) WriteCaseTables(w io.Writer) error {
	var b bytes.Buffer
	names := implNames(res.Plan)
	for ci, c := range res.Plan.Cases() {
		if len(res.Runs[ci]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %v, %d run(s)\n\n", c, res.Plan.Runs)
		res.caseTable(&b, ci, c, names)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeFigureRow writes one table row: the figure's median and spread for
// each implementation's runs (marked as a lower bound when some run hit a
// limit), then the ratio of the first to the second when there are two.
func writeFigureRow[T any](b *bytes.Buffer, name, verb string, runs [][]T, f func(T) float64, missing func(T) int) {
	fmt.Fprintf(b, "| %s |", name)
	var st []Stat
	for _, rs := range runs {
		s := collect(rs, f)
		st = append(st, s)
		cell := s.format(verb)
		if m := missingOf(rs, missing); m > 0 {
			cell = "≥" + cell + fmt.Sprintf(" [%d missing]", m)
		}
		fmt.Fprintf(b, " %s |", cell)
	}
	r := "–"
	if len(st) == 2 {
		r = ratio(st[0], st[1])
	}
	fmt.Fprintf(b, " %s |\n", r)
}
