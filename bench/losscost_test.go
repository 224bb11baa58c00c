package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunCost measures a quiet cluster of libgossip at the fast and LAN
// settings: both send something, and the fast one (probe 200 ms) sends
// more datagrams a member-second than the LAN one (probe 1 s). Datagram
// counts follow the timers, not the machine's speed.
func TestRunCost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	o := CostOptions{N: 5, Seed: 1, Settle: 500 * time.Millisecond, Quiet: 3 * time.Second}
	_, lan, err := RunCost(ctx, LibGossip{}, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Params = FastParams()
	b, fast, err := RunCost(ctx, LibGossip{}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("packets per member-s: lan %.2f, fast %.2f; fast bytes %.1f", lan, fast, b)
	if lan <= 0 || b <= 0 {
		t.Errorf("quiet cluster sent nothing: lan %.2f packets, fast %.1f bytes", lan, b)
	}
	if fast < 2*lan {
		t.Errorf("fast settings sent %.2f packets per member-s, want well over the LAN settings' %.2f", fast, lan)
	}
	if _, _, err := RunCost(ctx, LibGossip{}, CostOptions{N: 3}); err == nil {
		t.Error("RunCost with 3 members: no error")
	}
}

// costStore is a store with one condition at N = 64 run at three
// settings of libgossip, and their costs: fast detects fastest but costs
// most; 500ms is slower than fast and costs more than lan; lan is the
// slowest and cheapest; fast-s4 is as fast as fast at the same cost but
// fails members more often.
func costStore(t *testing.T) *LossStore {
	t.Helper()
	var s LossStore
	all := LossSettings()
	byName := map[string]LossSetting{}
	for _, st := range all {
		byName[st.Name] = st
	}
	sc := LossScenarios()[0]
	for _, c := range []struct {
		setting    string
		detect, ff float64
		bytes      float64
		missed     int
	}{{"fast", 1, 0, 110, 0}, {"500ms", 3, 0, 44, 0}, {"lan", 4, 0, 22, 0}, {"fast-s4", 1, 5, 110, 0}, {"fast-nodamp", 1.2, 0, 108, 0}, {"2s", 9, 0, 11, 1}} {
		st := byName[c.setting]
		sc := StoredLossCase{N: 64, Setting: st, Scenario: sc, Impls: []string{"libgossip"}, Runs: map[string][]LossRunResult{}}
		for range 3 {
			sc.Runs["libgossip"] = append(sc.Runs["libgossip"], LossRunResult{Impl: "libgossip", N: 64, WindowSeconds: 30,
				FalseFailures: int(c.ff), Detect: Spread{Max: c.detect, Missing: c.missed}})
		}
		s.Cases = append(s.Cases, sc)
		s.MergeCosts([]LossCost{{N: 64, Setting: st, Impl: "libgossip", Bytes: []float64{c.bytes}, Packets: []float64{1}}})
	}
	s.Sort()
	return &s
}

// TestFrontierDominance: a setting is dominated only by one at least as
// good on detection, false failures and cost; the slowest, cheapest
// shipped defaults are on the frontier; a lower bound is left unknown.
func TestFrontierDominance(t *testing.T) {
	s := costStore(t)
	pn := s.frontier()
	if len(pn) != 1 {
		t.Fatalf("%d panels, want 1", len(pn))
	}
	by := map[string]string{}
	for _, pt := range pn[0].pts["libgossip"] {
		by[pt.setting] = pt.by
	}
	// fast-nodamp costs 2% less than fast: the same, within the
	// tolerance, so fast dominates it.
	want := map[string]string{"fast": "", "500ms": "", "lan": "", "fast-s4": "fast", "fast-nodamp": "fast", "2s": ""}
	for k, v := range want {
		if by[k] != v {
			t.Errorf("%s dominated by %q, want %q", k, by[k], v)
		}
	}
	// Without costs nothing can be claimed dominated: fast-s4 is worse
	// than fast on false failures only if it costs no less.
	s.Costs = nil
	for _, pt := range s.frontier()[0].pts["libgossip"] {
		if pt.by != "" {
			t.Errorf("without costs, %s is dominated by %s", pt.setting, pt.by)
		}
	}
}

// TestFrontierReport: the Markdown names the frontier, the dominated
// settings and the shipped defaults' place, and lists the costs; the
// store with costs survives a save and load.
func TestFrontierReport(t *testing.T) {
	s := costStore(t)
	path := filepath.Join(t.TempDir(), "store.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadLossStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Costs) != 6 {
		t.Fatalf("loaded %d costs, want 6", len(back.Costs))
	}
	var md bytes.Buffer
	if err := back.WriteMarkdown(&md, "bench/frontier.svg", "cmd"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| fast, 500ms, lan | 2s (unknown), fast-s4 (fast), fast-nodamp (fast) |",
		"libgossip's shipped defaults (lan) are on its frontier in 1 of the 1 conditions",
		"| 64 | lan | 22.0 | 1.00 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	var pic bytes.Buffer
	if err := back.WriteSVG(&pic); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lan · 22 B/s", `<g opacity="0.4">`} {
		if !strings.Contains(pic.String(), want) {
			t.Errorf("plot lacks %q", want)
		}
	}
	// A cost stored twice is refused on load.
	back.Costs = append(back.Costs, back.Costs[0])
	if err := back.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLossStore(path); err == nil || !strings.Contains(err.Error(), "stored twice") {
		t.Errorf("store with a cost twice: err %v", err)
	}
}
