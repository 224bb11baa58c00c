package bench

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
)

// writeFrontier writes, per condition and size, which settings of each
// implementation are on its frontier and which are dominated (and by
// which), then whether libgossip's shipped defaults (the setting "lan")
// are on its frontier, and the table of costs.
func (s *LossStore) writeFrontier(b *bytes.Buffer) {
	panels := s.frontier()
	names := s.names()
	b.WriteString("### Which settings are on the frontier\n\n")
	b.WriteString("A setting is dominated when another setting of the same library, under the same condition and size, detects the crash at least as fast, fails healthy members no more often and costs no more bytes, and is better on one of the three (medians over the runs; costs within 5% of each other count as equal). A setting where some member never detected the crash, or whose cost is not measured, is neither dominated nor dominating: its place is unknown. The cost is what each member sends per second in a quiet cluster of N members at that setting (table below): faster detection is paid for in traffic, so a slower setting that costs less is not dominated by a faster one.\n\n")
	fmt.Fprintf(b, "| condition | N |")
	for _, n := range names {
		fmt.Fprintf(b, " %s: on the frontier | %s: dominated (by) |", n, n)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|---|", len(names)) + "\n")
	onFront, lanRuns := 0, 0
	var lanOff []string
	for _, pn := range panels {
		title, n := pn.title, 0
		if i := strings.LastIndex(title, ", N = "); i >= 0 {
			fmt.Sscanf(title[i+len(", N = "):], "%d", &n)
			title = title[:i]
		}
		fmt.Fprintf(b, "| %s | %d |", title, n)
		for _, name := range names {
			var front, dom []string
			for _, pt := range pn.pts[name] {
				switch {
				case pt.by != "":
					dom = append(dom, fmt.Sprintf("%s (%s)", pt.setting, pt.by))
				case pt.missing > 0 || !pt.hasCost:
					dom = append(dom, pt.setting+" (unknown)")
				default:
					front = append(front, pt.setting)
				}
				if name == (LibGossip{}).Name() && pt.setting == "lan" {
					lanRuns++
					if pt.by == "" && pt.missing == 0 && pt.hasCost {
						onFront++
					} else {
						lanOff = append(lanOff, pn.title)
					}
				}
			}
			fmt.Fprintf(b, " %s | %s |", listOr(front, "–"), listOr(dom, "–"))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "\nlibgossip's shipped defaults (lan) are on its frontier in %d of the %d conditions they were run in", onFront, lanRuns)
	if len(lanOff) > 0 {
		fmt.Fprintf(b, "; not shown on it: %s", strings.Join(lanOff, "; "))
	}
	b.WriteString(".\n\n")
	s.writeCosts(b, names)
}

// writeCosts writes the table of stored costs and the runs that measured
// them.
func (s *LossStore) writeCosts(b *bytes.Buffer, names []string) {
	b.WriteString("### Cost of each setting\n\n")
	if len(s.Costs) == 0 {
		b.WriteString("No cost is stored yet: `make bench-loss ARGS=\"-loss-cost\"` measures them.\n\n")
		return
	}
	b.WriteString("Bytes (datagrams and streams) and datagrams each member sends per second in a quiet cluster: formed, 10 s of settling, then a 30 s window; `median (min–max)` over the runs.\n\n")
	fmt.Fprintf(b, "| N | setting |")
	for _, n := range names {
		fmt.Fprintf(b, " %s bytes/member-s | %s packets/member-s |", n, n)
	}
	b.WriteString(" bytes ratio |\n|---|---|" + strings.Repeat("---|---|", len(names)) + "---|\n")
	type row struct {
		n       int
		setting string
	}
	var rows []row
	for _, c := range s.Costs {
		if r := (row{c.N, c.Setting.Name}); !slices.Contains(rows, r) {
			rows = append(rows, r)
		}
	}
	var provs []LossProvenance
	for _, r := range rows {
		fmt.Fprintf(b, "| %d | %s |", r.n, r.setting)
		var meds []float64
		for _, name := range names {
			i := slices.IndexFunc(s.Costs, func(c LossCost) bool { return c.N == r.n && c.Setting.Name == r.setting && c.Impl == name })
			if i < 0 {
				b.WriteString(" – | – |")
				meds = append(meds, 0)
				continue
			}
			c := s.Costs[i]
			if !slices.ContainsFunc(provs, func(p LossProvenance) bool { return p.Start.Equal(c.Measured.Start) }) {
				provs = append(provs, c.Measured)
			}
			bs, ps := statOf(c.Bytes), statOf(c.Packets)
			fmt.Fprintf(b, " %s | %s |", bs.format("%.1f"), ps.format("%.2f"))
			meds = append(meds, bs.Med)
		}
		if len(meds) == 2 && meds[0] > 0 && meds[1] > 0 {
			fmt.Fprintf(b, " %.2f |\n", meds[0]/meds[1])
		} else {
			b.WriteString(" – |\n")
		}
	}
	b.WriteString("\n")
	for _, p := range provs {
		b.WriteString(p.describeCost() + "\n\n")
	}
}

// describeCost is describe for a run that measured costs.
func (p LossProvenance) describeCost() string {
	return p.said("Costs measured") + fmt.Sprintf("; that run took %s in all; %d repetition(s).", p.Wall.Round(time.Second), p.Reps)
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}
