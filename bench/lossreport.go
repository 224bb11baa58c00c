package bench

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// The loss section of BENCHMARKS.md lies between these two lines; `make
// bench-loss` rewrites it and `make bench` keeps it as it is.
const (
	LossBegin = "<!-- bench-loss:begin -->"
	LossEnd   = "<!-- bench-loss:end -->"
)

// LossSection returns the loss section of doc, markers included, or nil.
func LossSection(doc []byte) []byte { return section(doc, LossBegin, LossEnd) }

func section(doc []byte, begin, end string) []byte {
	i := bytes.Index(doc, []byte(begin))
	if i < 0 {
		return nil
	}
	j := bytes.Index(doc[i:], []byte(end))
	if j < 0 {
		return nil
	}
	e := i + j + len(end)
	if e < len(doc) && doc[e] == '\n' {
		e++
	}
	return doc[i:e]
}

// markerRE matches a section's begin marker and names the section.
var markerRE = regexp.MustCompile(`<!-- ([a-z0-9-]+):begin -->`)

// Sections returns every marked section of doc — from a line
// "<!-- NAME:begin -->" to its "<!-- NAME:end -->", markers included —
// in order. Other commands (make bench-loss, make bench-cache) own them;
// make bench carries them over when it rewrites the file.
func Sections(doc []byte) [][]byte {
	var out [][]byte
	rest := doc
	for {
		m := markerRE.FindSubmatchIndex(rest)
		if m == nil {
			return out
		}
		name := string(rest[m[2]:m[3]])
		sec := section(rest[m[0]:], "<!-- "+name+":begin -->", "<!-- "+name+":end -->")
		if sec == nil {
			return out
		}
		out = append(out, sec)
		rest = rest[m[0]+len(sec):]
	}
}

// ReplaceSection returns doc with the section named by sec's begin marker
// replaced by sec, or with sec appended (after a blank line) if doc has no
// such section. sec must start with a begin marker.
func ReplaceSection(doc, sec []byte) []byte {
	m := markerRE.FindSubmatch(sec)
	if m == nil {
		return doc
	}
	name := string(m[1])
	old := section(doc, "<!-- "+name+":begin -->", "<!-- "+name+":end -->")
	if old == nil {
		out := bytes.TrimRight(doc, "\n")
		if len(out) > 0 {
			out = append(append([]byte(nil), out...), "\n\n"...)
		}
		return append(out, sec...)
	}
	i := bytes.Index(doc, old)
	out := append([]byte(nil), doc[:i]...)
	out = append(out, sec...)
	return append(out, doc[i+len(old):]...)
}

// ReplaceLossSection is ReplaceSection for the loss section.
func ReplaceLossSection(doc, sec []byte) []byte { return ReplaceSection(doc, sec) }

type lossRow struct {
	name, verb string
	f          func(LossRunResult) float64
	missing    func(LossRunResult) int
	sickOnly   bool
}

var lossRows = []lossRow{
	{name: "members whose view was not whole before the window", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.ConvergeMissing) }},
	{name: "false failure declarations", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.FalseFailures) }},
	{name: "members falsely failed", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.FalselyFailed) }},
	{name: "false failures per member-hour", verb: "%.1f", f: LossRunResult.FalsePerMemberHour},
	{name: "suspicions of healthy members", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.Suspicions) }},
	{name: "refutations", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.Refutations) }},
	{name: "views whole after loss stops, max (s)", verb: "%.2f", f: func(r LossRunResult) float64 { return r.Heal.Max }, missing: func(r LossRunResult) int { return r.Heal.Missing }},
	{name: "then: detect a crash, max (s)", verb: "%.2f", f: func(r LossRunResult) float64 { return r.Detect.Max }, missing: func(r LossRunResult) int { return r.Detect.Missing }},
	{name: "sick member failed by (share of healthy)", verb: "%.2f", f: func(r LossRunResult) float64 { return r.SickFailedShare }, sickOnly: true},
	{name: "failures declared by the sick member", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.FailedBySick) }, sickOnly: true},
	{name: "stream dials refused", verb: "%.0f", f: func(r LossRunResult) float64 { return float64(r.DialsRefused) }},
}

// names returns the implementations' names: Impls, or those of
// Plan.Impls.
func (res *LossResults) names() []string {
	if len(res.Impls) > 0 {
		return res.Impls
	}
	return implNamesOf(res.Plan.Impls)
}

// WriteMarkdown writes the loss section of BENCHMARKS.md for res alone,
// as LossStore.WriteMarkdown does for a store holding only res.
func (res *LossResults) WriteMarkdown(w io.Writer, svgPath, cmd string) error {
	var s LossStore
	s.Merge(res)
	return s.WriteMarkdown(w, svgPath, cmd)
}

// WriteSVG plots the frontier of res alone (see LossStore.WriteSVG).
func (res *LossResults) WriteSVG(w io.Writer) error {
	var s LossStore
	s.Merge(res)
	return s.WriteSVG(w)
}

// WriteMarkdown writes the loss section of BENCHMARKS.md, markers
// included, with one table per stored case, each followed by the run that
// measured it; svgPath is the frontier plot's path relative to the
// Markdown file ("" leaves it out) and cmd the command line that wrote
// the section.
func (s *LossStore) WriteMarkdown(w io.Writer, svgPath, cmd string) error {
	var b bytes.Buffer
	b.WriteString(LossBegin + "\n")
	b.WriteString("## Heavy loss: false failures and healing\n\n")
	fmt.Fprintf(&b, "Written by `%s` from the stored results of every case (`-loss-store`, by default loss-results.json next to the plot), each table from the latest run that measured its case, named under it. `make bench-loss` runs the whole matrix; a part, run with `make bench-loss ARGS=...`, replaces only its own cases. `make bench` keeps this section as it is.\n\n", cmd)
	b.WriteString("Every cell is `median (min–max)` over the repetitions; a ratio is libgossip's median over memberlist's; the implementations of a case ran one at a time, alternating which ran first.\n\n")
	b.WriteString(`N members form a cluster on 127.0.0.1 (real sockets, the same fault
injector in front of both libraries); then a condition holds for the window
and is lifted. Nobody crashes, so every failure declaration of a healthy
member by a healthy member is false. Every condition adds 5 ms + [0, 5 ms)
latency to each packet. "Stream dials fail" fails that share of every
member's outgoing TCP dials (bench.DialFaults, in front of package fault's
wrappers). The sick member loses 80% of what it sends and receives and of
its streams; its own failure is expected and counted apart. Suspicions and
refutations of memberlist come from its log lines ("Suspect … has failed",
"Refuting a suspect/dead message"); libgossip's from its events, counting
only the suspicions a member raised from its own probes (as memberlist's
log lines do), not those it heard of. Views are
whole when every member counts exactly the N members again, measured from
the end of the window; false failures are counted from the start of the
window until then. After that, with no loss, a healthy member crashes and
the time until every other member declared it failed is the detection
figure of the frontier plot (a member that still counts the victim failed
from the loss never declares it again and is counted missing at the heal
limit). Settings: fast = probe 200 ms, timeout 100 ms, gossip
50 ms, fanout 3; 500ms and 2s = the matched pairs of the Pareto sweep;
lan = each library's LAN defaults; fast-s1 and fast-s4 = fast with
SuspicionMult 1 or 4 in both; fast-nodamp = fast with libgossip's flap
damping off (memberlist has none); fast-nolate = fast with libgossip's
lateness rule off (core.Config.DisableLateHold; memberlist has none).

All members of a case run in one process on this machine, so a case can
measure the host rather than the protocols. Read each table with the cost
table below: where a quiet cluster at a setting costs far more per member
than the same setting at a smaller N (256 members probing every 200 ms in
one process on two CPUs), timers fire late for every member and both
libraries fail healthy members in bulk. The simulator (gossip/sim) runs
the same settings in virtual time without that limit.

`)
	if svgPath != "" {
		fmt.Fprintf(&b, "![detection max against false failures per member-hour, per condition](%s)\n\n", svgPath)
	}
	s.writeFrontier(&b)
	for _, c := range s.Cases {
		writeLossTable(&b, c)
	}
	b.WriteString(LossEnd + "\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeLossTable writes case c's table and the line naming the run that
// measured it.
func writeLossTable(b *bytes.Buffer, c StoredLossCase) {
	names := c.Impls
	fmt.Fprintf(b, "### %s, %s settings, N = %d\n\n", c.Scenario.Title, c.Setting.Name, c.N)
	fmt.Fprintf(b, "| figure | %s | ratio |\n|---|%s---|\n", strings.Join(names, " | "), strings.Repeat("---|", len(names)))
	for _, rw := range lossRows {
		if rw.sickOnly && c.Scenario.SickLoss == 0 {
			continue
		}
		runs := make([][]LossRunResult, len(names))
		for i, n := range names {
			runs[i] = c.Runs[n]
		}
		writeFigureRow(b, rw.name, rw.verb, runs, rw.f, rw.missing)
	}
	b.WriteString("\n" + c.Measured.describe() + "\n\n")
	if len(c.Errors) > 0 {
		b.WriteString("Runs of this case that failed to start:\n\n")
		for _, e := range c.Errors {
			fmt.Fprintf(b, "- %s\n", e)
		}
		b.WriteString("\n")
	}
}

// describe is the line under a table: the run that measured it.
func (p LossProvenance) describe() string {
	return p.said("Measured") + fmt.Sprintf("; that run took %s in all; %d repetition(s), loss window %s, heal limit %s.", p.Wall.Round(time.Second), p.Reps, p.Window, p.HealLimit)
}

// said is lead followed by what p knows of the run: its command, start,
// commit and machine.
func (p LossProvenance) said(lead string) string {
	var sb strings.Builder
	sb.WriteString(lead)
	if p.Cmd != "" {
		fmt.Fprintf(&sb, " by `%s`", p.Cmd)
	}
	fmt.Fprintf(&sb, " on %s", p.Start.UTC().Format(time.RFC3339))
	if p.Commit != "" {
		fmt.Fprintf(&sb, " at commit %s", p.Commit)
	}
	var where []string
	for _, s := range []string{p.Machine, p.Go} {
		if s != "" {
			where = append(where, s)
		}
	}
	if len(where) > 0 {
		fmt.Fprintf(&sb, " (%s)", strings.Join(where, ", "))
	}
	return sb.String()
}
