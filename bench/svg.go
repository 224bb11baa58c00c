package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// WriteSVG plots the Pareto sweep: detection max (s) against bytes sent per
// member per second (log scale), one line per implementation, each point
// labelled with its probe interval; a point whose median false failures at
// 10% loss is above zero gets a red ring and the count.
func (res *Results) WriteSVG(w io.Writer) error {
	const W, H, L, R, T, B = 720.0, 440.0, 70.0, 150.0, 40.0, 60.0
	pts := res.sweep()
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	sb.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	fmt.Fprintf(&sb, `<text x="%.0f" y="22" font-size="14" text-anchor="middle">Detection (max over members) against bandwidth, N = %d</text>`+"\n", (W-R+L)/2, res.Plan.SweepN)
	if len(pts) == 0 {
		sb.WriteString("</svg>\n")
		_, err := io.WriteString(w, sb.String())
		return err
	}
	xmin, xmax, ymax := math.Inf(1), 0.0, 0.0
	for _, p := range pts {
		xmin = min(xmin, p.bytes.Min)
		xmax = max(xmax, p.bytes.Max)
		ymax = max(ymax, p.detect.Max)
	}
	lx0, lx1 := math.Floor(math.Log10(max(xmin, 1))), math.Ceil(math.Log10(max(xmax, 10)))
	if lx1 == lx0 {
		lx1++
	}
	ymax = math.Ceil(ymax/5) * 5
	if ymax == 0 {
		ymax = 5
	}
	px := func(x float64) float64 { return L + (math.Log10(max(x, 1))-lx0)/(lx1-lx0)*(W-L-R) }
	py := func(y float64) float64 { return H - B - y/ymax*(H-T-B) }
	// axes and grid
	fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", L, H-B, W-R, H-B)
	fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", L, T, L, H-B)
	for e := lx0; e <= lx1; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if math.Log10(v) > lx1 {
				break
			}
			x := px(v)
			fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x, T, x, H-B)
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n", x, H-B+16, v)
		}
	}
	for y := 0.0; y <= ymax; y += ymax / 5 {
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", L, py(y), W-R, py(y))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="end">%g</text>`+"\n", L-6, py(y)+4, y)
	}
	fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="middle">bytes sent per member per second (log scale)</text>`+"\n", (W-R+L)/2, H-B+40)
	fmt.Fprintf(&sb, `<text x="18" y="%.1f" text-anchor="middle" transform="rotate(-90 18 %.1f)">detection max (s)</text>`+"\n", (H-B+T)/2, (H-B+T)/2)
	colors := map[string]string{"libgossip": "#1f77b4", "memberlist": "#ff7f0e"}
	ly := T + 10
	for _, name := range implNames(res.Plan) {
		col := colors[name]
		if col == "" {
			col = "#2ca02c"
		}
		var line []string
		for _, p := range pts {
			if p.impl != name {
				continue
			}
			x, y := px(p.bytes.Med), py(p.detect.Med)
			line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
			// min–max whiskers in both directions
			fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.5"/>`+"\n", x, py(p.detect.Min), x, py(p.detect.Max), col)
			fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.5"/>`+"\n", px(p.bytes.Min), y, px(p.bytes.Max), y, col)
			fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`+"\n", x, y, col)
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="%s">%v</text>`+"\n", x+6, y-6, col, p.probe)
			if p.fp.N > 0 && p.fp.Med > 0 {
				fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="8" fill="none" stroke="red" stroke-width="2"/>`+"\n", x, y)
				fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="red">%.0f false</text>`+"\n", x+6, y+16, p.fp.Med)
			}
		}
		if len(line) > 1 {
			fmt.Fprintf(&sb, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(line, " "), col)
		}
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`+"\n", W-R+12, ly, col, W-R+30, ly+10, html.EscapeString(name))
		ly += 20
	}
	fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="7" fill="none" stroke="red" stroke-width="2"/><text x="%.1f" y="%.1f">false failures</text>`+"\n", W-R+18, ly+6, W-R+30, ly+10)
	fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f">at 10%% loss</text>`+"\n", W-R+30, ly+24)
	sb.WriteString("</svg>\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
