package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// frontierPoint is one implementation at one setting under one condition.
type frontierPoint struct {
	setting     string
	detect, fph Stat // detect max (s), false failures per member-hour
	// missing counts members, over the runs, that never detected the
	// crash: detect is then a lower bound.
	missing int
	// bytes is the setting's cost (LossCost: bytes per member-second in
	// a quiet cluster), if hasCost.
	bytes   float64
	hasCost bool
	// by names a setting of the same implementation that dominates this
	// one in the panel ("" if none does): see dominates.
	by string
}

// costTolerance is the relative difference under which two costs count
// as equal: settings with the same timers (fast and its variants) send
// the same traffic, and their measured costs differ by a fraction of a
// percent from run to run.
const costTolerance = 0.05

// dominates reports whether q is at least as good as p on all three axes
// (median detection max, median false failures per member-hour, cost
// within costTolerance) and better on one. Neither may be a lower bound
// (some member never detected: the true detection time is unknown), and
// both costs must be known; otherwise nothing is claimed.
func (q frontierPoint) dominates(p frontierPoint) bool {
	if q.missing > 0 || p.missing > 0 || !q.hasCost || !p.hasCost {
		return false
	}
	if q.detect.Med > p.detect.Med || q.fph.Med > p.fph.Med || q.bytes > p.bytes*(1+costTolerance) {
		return false
	}
	return q.detect.Med < p.detect.Med || q.fph.Med < p.fph.Med || q.bytes*(1+costTolerance) < p.bytes
}

// frontierPanel is one condition at one size: per implementation, its
// points in the plan's settings order.
type frontierPanel struct {
	title string
	pts   map[string][]frontierPoint
}

func (s *LossStore) frontier() []frontierPanel {
	var out []frontierPanel
	idx := map[string]int{}
	for _, c := range s.Cases {
		key := fmt.Sprintf("%d/%s", c.N, c.Scenario.Name)
		k, ok := idx[key]
		if !ok {
			k = len(out)
			idx[key] = k
			out = append(out, frontierPanel{title: fmt.Sprintf("%s, N = %d", c.Scenario.Title, c.N), pts: map[string][]frontierPoint{}})
		}
		for name, rs := range c.Runs {
			if len(rs) == 0 {
				continue
			}
			m := 0
			for _, r := range rs {
				m += r.Detect.Missing
			}
			b, ok := s.cost(c.N, c.Setting.Name, name)
			out[k].pts[name] = append(out[k].pts[name], frontierPoint{setting: c.Setting.Name,
				detect:  collect(rs, func(r LossRunResult) float64 { return r.Detect.Max }),
				fph:     collect(rs, LossRunResult.FalsePerMemberHour),
				missing: m, bytes: b, hasCost: ok})
		}
	}
	for _, pn := range out {
		for _, pts := range pn.pts {
			for i := range pts {
				for _, q := range pts {
					if q.dominates(pts[i]) {
						pts[i].by = q.setting
						break
					}
				}
			}
		}
	}
	return out
}

// names returns the implementations of every stored case, in the order
// they first appear.
func (s *LossStore) names() []string {
	var out []string
	for _, c := range s.Cases {
		for _, n := range c.Impls {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// WriteSVG plots the frontier: one panel per condition and size, detection
// max (s, after the condition) against false failures per member-hour
// (during it, on a log(1+x) scale so that zero shows), one line per
// implementation through its settings, each point labelled with its
// setting. A point where some member never detected the crash is a lower
// bound: drawn hollow and labelled with ≥.
func (s *LossStore) WriteSVG(w io.Writer) error {
	const PW, PH, L, R, T, B, cols = 330.0, 250.0, 50.0, 15.0, 30.0, 40.0, 3
	panels := s.frontier()
	rows := (len(panels) + cols - 1) / cols
	W, H := PW*float64(min(max(len(panels), 1), cols)), 50+PH*float64(max(rows, 1))
	names := s.names()
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n", W, H, W, H)
	sb.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	fmt.Fprintf(&sb, `<text x="10" y="18" font-size="12">Detection max (s) against false failures per member-hour; lower left is better. Labels: setting · bytes per member-s when quiet; faded: dominated</text>`+"\n")
	colors := map[string]string{"libgossip": "#1f77b4", "memberlist": "#ff7f0e"}
	color := func(n string) string {
		if c := colors[n]; c != "" {
			return c
		}
		return "#2ca02c"
	}
	lx := 10.0
	for _, n := range names {
		fmt.Fprintf(&sb, `<rect x="%.1f" y="28" width="10" height="10" fill="%s"/><text x="%.1f" y="37">%s</text>`+"\n", lx, color(n), lx+14, html.EscapeString(n))
		lx += 110
	}
	sx := func(x float64) float64 { return math.Log10(1 + max(x, 0)) }
	for k, pn := range panels {
		ox, oy := PW*float64(k%cols), 50+PH*float64(k/cols)
		xmax, ymax := 1.0, 0.0
		for _, pts := range pn.pts {
			for _, pt := range pts {
				xmax = max(xmax, math.Ceil(sx(pt.fph.Max)))
				ymax = max(ymax, pt.detect.Max)
			}
		}
		ymax = max(math.Ceil(ymax/5)*5, 5)
		px := func(x float64) float64 { return ox + L + sx(x)/xmax*(PW-L-R) }
		py := func(y float64) float64 { return oy + PH - B - y/ymax*(PH-T-B) }
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="12">%s</text>`+"\n", ox+L, oy+T-10, html.EscapeString(pn.title))
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", px(0), py(0), ox+PW-R, py(0))
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", px(0), oy+T, px(0), py(0))
		for e := 0.0; e <= xmax; e++ {
			v := math.Pow(10, e) - 1
			if e > 0 {
				v = math.Pow(10, e)
			}
			x := px(v)
			fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n", x, oy+T, x, py(0), x, py(0)+14, v)
		}
		for y := 0.0; y <= ymax; y += ymax / 5 {
			fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%g</text>`+"\n", px(0), py(y), ox+PW-R, py(y), px(0)-4, py(y)+4, y)
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="middle">false failures per member-hour</text>`+"\n", ox+L+(PW-L-R)/2, py(0)+30)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">detect max (s)</text>`+"\n", ox+14, oy+(PH-B+T)/2, ox+14, oy+(PH-B+T)/2)
		var placed labels
		for _, n := range names {
			pts := pn.pts[n]
			var line []string
			for _, pt := range pts {
				x, y := px(pt.fph.Med), py(pt.detect.Med)
				line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
				fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.5"/>`+"\n", x, py(pt.detect.Min), x, py(pt.detect.Max), color(n))
				fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.5"/>`+"\n", px(pt.fph.Min), y, px(pt.fph.Max), y, color(n))
				fill, label, op := color(n), pt.setting, 1.0
				if pt.missing > 0 { // a lower bound: hollow, marked ≥
					fill, label = "white", "≥ "+label
				}
				if pt.hasCost {
					label += fmt.Sprintf(" · %.0f B/s", pt.bytes)
				}
				if pt.by != "" { // dominated: faded
					op = 0.4
				}
				lx, ly := placed.place(x+5, y-5, label)
				if ly != y-5 { // moved off another label: a leader line shows whose it is
					fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.4"/>`+"\n", x, y, lx, ly-4, color(n))
				}
				fmt.Fprintf(&sb, `<g opacity="%.1f"><circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" stroke="%s"/><text x="%.1f" y="%.1f" fill="%s">%s</text></g>`+"\n", op, x, y, fill, color(n), lx, ly, color(n), html.EscapeString(label))
			}
			if len(line) > 1 {
				fmt.Fprintf(&sb, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", strings.Join(line, " "), color(n))
			}
		}
	}
	sb.WriteString("</svg>\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

// labels are the boxes of the point labels already drawn in one panel,
// so that labels of nearby points do not print over each other.
type labels []struct{ x0, y0, x1, y1 float64 }

// place finds where to draw label, whose baseline starts at (x, y)
// (font size 11: about 6.2 px per character, 12 px a line): there if
// that is free, else the nearest free line below or above, alternately,
// up to six lines away; and records its box.
func (ls *labels) place(x, y float64, label string) (float64, float64) {
	w := 6.2 * float64(utf8.RuneCountInString(label))
	free := func(y float64) bool {
		for _, b := range *ls {
			if x < b.x1 && b.x0 < x+w && y-10 < b.y1 && b.y0 < y+2 {
				return false
			}
		}
		return true
	}
	at := y
	for i := 1; !free(at) && i <= 12; i++ {
		off := float64((i + 1) / 2 * 12) // odd i: below, even i: above
		if i%2 == 0 {
			off = -off
		}
		at = y + off
	}
	if !free(at) {
		at = y
	}
	*ls = append(*ls, struct{ x0, y0, x1, y1 float64 }{x, at - 10, x + w, at + 2})
	return x, at
}

func implNamesOf(impls []Impl) []string {
	if len(impls) == 0 {
		return []string{LibGossip{}.Name(), Memberlist{}.Name()}
	}
	out := make([]string, len(impls))
	for i, im := range impls {
		out[i] = im.Name()
	}
	return out
}
