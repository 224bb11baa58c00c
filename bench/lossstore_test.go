package bench

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// partResults are synthetic results of a part of the loss matrix: every
// case of the plan over sizes × fast × scenarios, two runs of each
// implementation, with false failures ff and provenance cmd.
func partResults(t *testing.T, sizes []int, scenarios []string, ff int, cmd string, start time.Time) *LossResults {
	t.Helper()
	p := DefaultLossPlan()
	p.Runs, p.Sizes, p.Settings = 2, sizes, p.Settings[:1]
	p.Scenarios = slices.DeleteFunc(LossScenarios(), func(s LossScenario) bool { return !slices.Contains(scenarios, s.Name) })
	if len(p.Scenarios) != len(scenarios) {
		t.Fatalf("unknown scenario among %v", scenarios)
	}
	res := &LossResults{Plan: p, Start: start, Wall: 90 * time.Second, Runs: map[int]map[string][]LossRunResult{},
		Impls: []string{"libgossip", "memberlist"}, Cmd: cmd, Commit: "c-" + cmd, Machine: "test machine", Go: "go-test"}
	for ci, c := range p.Cases() {
		res.Runs[ci] = map[string][]LossRunResult{}
		for k, name := range res.Impls {
			for run := range 2 {
				res.Runs[ci][name] = append(res.Runs[ci][name], LossRunResult{Impl: name, N: c.N, Scenario: c.Scenario.Name,
					WindowSeconds: 30, FalseFailures: ff + k, Detect: Spread{Max: float64(2 + run)}})
			}
		}
	}
	return res
}

func keysOf(s *LossStore) []string {
	var out []string
	for _, c := range s.Cases {
		out = append(out, c.Key())
	}
	return out
}

// TestLossStoreMerge runs two parts through the store as `make bench-loss`
// does (merge, save, load): the first part's case that the second did not
// run keeps its table and provenance, the case both ran shows the second's.
func TestLossStoreMerge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss-results.json")
	t0 := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	parts := []*LossResults{
		partResults(t, []int{64}, []string{"30", "10"}, 100, "part-one", t0),
		partResults(t, []int{256, 64}, []string{"30"}, 700, "part-two", t0.Add(time.Hour)),
	}
	for _, res := range parts {
		s, err := LoadLossStore(path)
		if err != nil {
			t.Fatal(err)
		}
		s.Merge(res)
		if err := s.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadLossStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(s), []string{"64/fast/10", "64/fast/30", "256/fast/30"}; !slices.Equal(got, want) {
		t.Fatalf("stored cases %v, want %v (report order)", got, want)
	}
	for _, c := range s.Cases {
		want := "part-two"
		if c.Key() == "64/fast/10" {
			want = "part-one"
		}
		if c.Measured.Cmd != want || c.Measured.Commit != "c-"+want || c.Runs["libgossip"][0].FalseFailures != map[string]int{"part-one": 100, "part-two": 700}[want] {
			t.Errorf("case %s: measured by %q at %q with %d false failures, want %s's", c.Key(), c.Measured.Cmd, c.Measured.Commit, c.Runs["libgossip"][0].FalseFailures, want)
		}
	}

	var md bytes.Buffer
	if err := s.WriteMarkdown(&md, "bench/frontier.svg", "render"); err != nil {
		t.Fatal(err)
	}
	doc := md.String()
	// each table, in order, followed by the run that measured it
	var at []int
	for _, want := range []string{
		"### 10% loss, fast settings, N = 64", "| false failure declarations | 100 | 101 | 0.99 |", "Measured by `part-one` on 2026-12-01T04:00:00Z at commit c-part-one (test machine, go-test); that run took 1m30s in all; 2 repetition(s), loss window 30s, heal limit 1m0s.",
		"### 30% loss, fast settings, N = 64", "| false failure declarations | 700 | 701 | 1.00 |", "Measured by `part-two` on 2026-12-01T05:00:00Z",
		"### 30% loss, fast settings, N = 256", "| false failure declarations | 700 | 701 | 1.00 |", "Measured by `part-two`",
		LossEnd,
	} {
		last := 0
		if len(at) > 0 {
			last = at[len(at)-1]
		}
		i := strings.Index(doc[last:], want)
		if i < 0 {
			t.Fatalf("section lacks %q after offset %d:\n%s", want, last, doc)
		}
		at = append(at, last+i+len(want))
	}
	if strings.Count(doc, "\n### ")-2 != 3 { // the tables, the frontier and the costs
		t.Errorf("section has other tables than the three stored:\n%s", doc)
	}

	var pic bytes.Buffer
	if err := s.WriteSVG(&pic); err != nil {
		t.Fatal(err)
	}
	for _, panel := range []string{"10% loss, N = 64", "30% loss, N = 64", "30% loss, N = 256"} {
		if !strings.Contains(pic.String(), ">"+panel+"<") {
			t.Errorf("frontier lacks the panel %q", panel)
		}
	}
}

// TestLossStoreKeepsFailedCases: a part whose runs of a case all failed
// to start leaves the stored case as it was.
func TestLossStoreKeepsFailedCases(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	var s LossStore
	s.Merge(partResults(t, []int{64}, []string{"10"}, 1, "good", t0))
	bad := partResults(t, []int{64}, []string{"10"}, 9, "bad", t0)
	bad.Runs = map[int]map[string][]LossRunResult{0: {"libgossip": nil}}
	bad.Errors = []string{"libgossip N=64 fast 10 run 1: cannot listen"}
	if keys := s.Merge(bad); len(keys) != 0 {
		t.Errorf("Merge of a part without results replaced %v", keys)
	}
	if len(s.Cases) != 1 || s.Cases[0].Measured.Cmd != "good" {
		t.Errorf("stored cases after a failed part: %+v", s.Cases)
	}
	partial := partResults(t, []int{64}, []string{"10"}, 5, "partial", t0)
	partial.Errors = []string{"memberlist N=64 fast 10 run 2: cannot listen", "memberlist N=64 fast 30 run 1: other case"}
	s.Merge(partial)
	if got := s.Cases[0].Errors; len(got) != 1 || !strings.Contains(got[0], "fast 10 run 2") {
		t.Errorf("stored errors %q, want only this case's", got)
	}
}

func TestLoadLossStoreErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := LoadLossStore(filepath.Join(dir, "absent.json"))
	if err != nil || len(s.Cases) != 0 {
		t.Fatalf("LoadLossStore(absent) = %+v, %v; want an empty store", s, err)
	}
	var one LossStore
	one.Merge(partResults(t, []int{64}, []string{"10"}, 1, "x", time.Unix(0, 0)))
	twice := LossStore{Cases: []StoredLossCase{one.Cases[0], one.Cases[0]}}
	for name, write := range map[string]func(string) error{
		"not JSON":      func(p string) error { return os.WriteFile(p, []byte("{"), 0o644) },
		"unknown field": func(p string) error { return os.WriteFile(p, []byte(`{"cases":[],"extra":1}`), 0o644) },
		"no setting": func(p string) error {
			return os.WriteFile(p, []byte(`{"cases":[{"n":64,"scenario":{"name":"10"},"impls":["a"]}]}`), 0o644)
		},
		"case twice": twice.Save,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := write(p); err != nil {
			t.Fatal(err)
		}
		if s, err := LoadLossStore(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: LoadLossStore = %+v, %v; want an error naming the file", name, s, err)
		}
	}
}

// TestLossPlanSkip: the cases in Skip are not run.
func TestLossPlanSkip(t *testing.T) {
	p := DefaultLossPlan()
	p.Runs, p.Sizes, p.Settings, p.Scenarios = 1, []int{64}, p.Settings[:1], p.Scenarios[:1]
	p.Skip = []string{"64/fast/10"}
	res, err := p.Execute(t.Context(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 0 || len(res.Errors) != 0 {
		t.Errorf("Execute ran a skipped case: %+v %v", res.Runs, res.Errors)
	}
}
