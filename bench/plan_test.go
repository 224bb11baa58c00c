package bench

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestPlanShort runs a tiny plan end to end and renders it: every kind of
// case, the tables, the sweep targets and the SVG. No timing is asserted.
func TestPlanShort(t *testing.T) {
	p := ShortPlan()
	p.Sweep = []time.Duration{200 * time.Millisecond}
	p.FlipFlop.N = 0 // covered by TestRunFlipFlop
	p.Impls = impls()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := p.Execute(ctx, io.Discard)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	for _, e := range res.Errors {
		if strings.HasPrefix(e, LibGossip{}.Name()+" ") || strings.HasPrefix(e, "scale ") {
			t.Errorf("Execute: %s", e)
		} else {
			t.Logf("Execute (not asserted): %s", e)
		}
	}
	var md, svg bytes.Buffer
	if err := res.WriteMarkdown(&md, "bench/pareto.svg", "go run ./bench/cmd/bench -short"); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	if err := res.WriteSVG(&svg); err != nil {
		t.Fatalf("WriteSVG: %v", err)
	}
	for _, want := range []string{"## LAN defaults, N = 5", "## Pareto sweep", "## Scale", "pareto.svg", "libgossip"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if !strings.HasPrefix(svg.String(), "<svg") || !strings.Contains(svg.String(), "polyline") && !strings.Contains(svg.String(), "circle") {
		t.Errorf("SVG looks empty:\n%s", svg.String())
	}
}

func TestEpidemicRounds(t *testing.T) {
	for _, tc := range []struct {
		n, fanout int
		want      float64
	}{
		{4, 3, 1 + 1.3863/3},
		{1000, 3, 4.9829 + 6.9078/3},
	} {
		if got := EpidemicRounds(tc.n, tc.fanout); got < tc.want-0.01 || got > tc.want+0.01 {
			t.Errorf("EpidemicRounds(%d, %d) = %.3f, want %.3f", tc.n, tc.fanout, got, tc.want)
		}
	}
}

func TestStat(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want Stat
	}{
		{[]float64{3, 1, 2}, Stat{Med: 2, Min: 1, Max: 3, N: 3}},
		{[]float64{4, 1, 2, 3}, Stat{Med: 2.5, Min: 1, Max: 4, N: 4}},
	} {
		if got := statOf(tc.in); got != tc.want {
			t.Errorf("statOf(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestInterpolate(t *testing.T) {
	pts := []sweepPoint{
		{bytes: Stat{Med: 100, N: 1}, detect: Stat{Med: 10, N: 1}},
		{bytes: Stat{Med: 300, N: 1}, detect: Stat{Med: 2, N: 1}},
	}
	if got, ok := interpolate(pts, 200); !ok || got != 6 {
		t.Errorf("interpolate(200) = %v, %v; want 6, true", got, ok)
	}
	if _, ok := interpolate(pts, 50); ok {
		t.Errorf("interpolate(50) ok, want outside")
	}
}
