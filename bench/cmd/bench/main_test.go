package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/bench"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

// saveResults writes synthetic results of one case (N = 64, fast, the
// given scenario) as -json would, and returns the file's path.
func saveResults(t *testing.T, dir, scenario string, ff int) string {
	t.Helper()
	p := bench.DefaultLossPlan()
	p.Runs, p.Sizes, p.Settings = 1, []int{64}, p.Settings[:1]
	for _, s := range bench.LossScenarios() {
		if s.Name == scenario {
			p.Scenarios = []bench.LossScenario{s}
		}
	}
	res := bench.LossResults{Plan: p, Start: time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC), Wall: time.Minute, Cmd: "run " + scenario,
		Impls: []string{"libgossip", "memberlist"}, Runs: map[int]map[string][]bench.LossRunResult{0: {
			"libgossip":  {{Impl: "libgossip", N: 64, WindowSeconds: 30, FalseFailures: ff}},
			"memberlist": {{Impl: "memberlist", N: 64, WindowSeconds: 30, FalseFailures: ff + 1}},
		}}}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, scenario+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLossPartsBesideOut renders two saved parts with -from-json into a
// Markdown file outside the repository: the store and the plot go beside
// it (not into the repository's bench/), and the second part adds its
// table to the first's.
func TestLossPartsBesideOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "doc", "B.md")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"10", "30"} {
		if err := run([]string{"-loss", "-out", out, "-from-json", saveResults(t, dir, sc, 40)}, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### 10% loss, fast settings, N = 64", "Measured by `run 10`", "### 30% loss, fast settings, N = 64", "Measured by `run 30`", "](bench/frontier.svg)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("%s lacks %q:\n%s", out, want, md)
		}
	}
	st, err := bench.LoadLossStore(filepath.Join(dir, "doc", "bench", "loss-results.json"))
	if err != nil || len(st.Cases) != 2 {
		t.Fatalf("store beside -out: %v, %v; want two cases", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "doc", "bench", "frontier.svg")); err != nil {
		t.Errorf("no plot beside -out: %v", err)
	}
	if _, err := os.Stat(filepath.Join("bench", "frontier.svg")); err == nil {
		t.Errorf("the plot was written relative to the working directory")
	}

	// -frontier none and -loss-store none: this run's table only, no plot
	lone := filepath.Join(dir, "lone", "B.md")
	if err := os.MkdirAll(filepath.Dir(lone), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-loss", "-out", lone, "-frontier", "none", "-loss-store", "none", "-from-json", saveResults(t, dir, "50", 1)}, io.Discard); err != nil {
		t.Fatal(err)
	}
	md, err = os.ReadFile(lone)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(md), "\n### ")-2 != 1 || strings.Contains(string(md), "frontier.svg") {
		t.Errorf("without store or plot: want one table and no plot link:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(dir, "lone", "bench")); err == nil {
		t.Errorf("-frontier none -loss-store none still wrote into %s", filepath.Join(dir, "lone", "bench"))
	}

	// a store that cannot be read is an error and changes nothing
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	if err := run([]string{"-loss", "-out", out, "-loss-store", bad, "-from-json", saveResults(t, dir, "50", 1)}, io.Discard); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("unreadable store: error %v, want one naming %s", err, bad)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Errorf("an unreadable store changed %s", out)
	}
}

// TestLossMissing: with -loss-missing a selection the store already holds
// runs nothing and rewrites nothing.
func TestLossMissing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "B.md")
	if err := run([]string{"-loss", "-out", out, "-from-json", saveResults(t, dir, "10", 3)}, io.Discard); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	if err := run([]string{"-loss", "-out", out, "-loss-missing", "-loss-n", "64", "-loss-settings", "fast", "-loss-cases", "10"}, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "nothing to run") {
		t.Errorf("progress %q, want nothing to run", progress.String())
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Errorf("-loss-missing with nothing missing rewrote %s", out)
	}
}
