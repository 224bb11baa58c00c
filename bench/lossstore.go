package bench

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// LossStore holds the loss results of several runs of parts of the
// matrix, one entry per case (size, setting, scenario): `make bench-loss`
// merges each run into it and renders the loss section and the frontier
// plot from all of it, so that the matrix can be measured a part at a
// time. It is saved as JSON next to the plot (bench/loss-results.json).
type LossStore struct {
	// Cases are the stored cases, in report order (see Sort).
	Cases []StoredLossCase `json:"cases"`
	// Costs are the stored costs of settings (see LossCost), one per
	// size, setting and implementation, in report order.
	Costs []LossCost `json:"costs,omitempty"`
}

// StoredLossCase is one case's results and the run that measured them.
type StoredLossCase struct {
	N        int          `json:"n"`
	Setting  LossSetting  `json:"setting"`
	Scenario LossScenario `json:"scenario"`
	// Impls are the implementations' names, in table order.
	Impls []string `json:"impls"`
	// Runs are the results per implementation name.
	Runs map[string][]LossRunResult `json:"runs"`
	// Errors are the runs of this case that could not be started.
	Errors []string `json:"errors,omitempty"`
	// Measured describes the run that measured this case.
	Measured LossProvenance `json:"measured"`
}

// LossProvenance describes one run of (a part of) the loss matrix.
type LossProvenance struct {
	// Start is when the run started; Wall how long the whole run took
	// (all of its cases).
	Start time.Time     `json:"start"`
	Wall  time.Duration `json:"wall"`
	// Cmd is the command line; Commit the source revision it ran
	// ("+dirty" if the tree had changes), when known.
	Cmd    string `json:"cmd,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Machine and Go describe where it ran, when known.
	Machine string `json:"machine,omitempty"`
	Go      string `json:"go,omitempty"`
	// Reps is the number of repetitions of every case; Window and
	// HealLimit are the plan's.
	Reps      int           `json:"reps"`
	Window    time.Duration `json:"window"`
	HealLimit time.Duration `json:"heal_limit"`
}

// Key names the case: "N/setting/scenario".
func (c StoredLossCase) Key() string { return lossKey(c.N, c.Setting.Name, c.Scenario.Name) }

// Has reports whether the store holds the case with the given key.
func (s *LossStore) Has(key string) bool {
	return slices.ContainsFunc(s.Cases, func(c StoredLossCase) bool { return c.Key() == key })
}

// provenance returns the description of the run that measured res.
func (res *LossResults) provenance() LossProvenance {
	return LossProvenance{Start: res.Start, Wall: res.Wall, Cmd: res.Cmd, Commit: res.Commit, Machine: res.Machine, Go: res.Go,
		Reps: res.Plan.Runs, Window: res.Plan.Window, HealLimit: res.Plan.HealLimit}
}

// stored returns res's cases that have results, as stored cases.
func (res *LossResults) stored() []StoredLossCase {
	var out []StoredLossCase
	names := res.names()
	for ci, c := range res.Plan.Cases() {
		runs := res.Runs[ci]
		n := 0
		for _, rs := range runs {
			n += len(rs)
		}
		if n == 0 {
			continue
		}
		sc := StoredLossCase{N: c.N, Setting: c.Setting, Scenario: c.Scenario, Impls: slices.Clone(names),
			Runs: map[string][]LossRunResult{}, Measured: res.provenance()}
		for name, rs := range runs {
			sc.Runs[name] = slices.Clone(rs)
		}
		tag := " " + c.String() + " run "
		for _, e := range res.Errors {
			if strings.Contains(e, tag) {
				sc.Errors = append(sc.Errors, e)
			}
		}
		out = append(out, sc)
	}
	return out
}

// Merge adds every case of res that has results, replacing the stored
// case with the same key; the cases res has no results for (not run, or
// every run failed to start) keep what was stored. It returns the keys it
// added or replaced.
func (s *LossStore) Merge(res *LossResults) []string {
	var keys []string
	for _, c := range res.stored() {
		keys = append(keys, c.Key())
		i := slices.IndexFunc(s.Cases, func(o StoredLossCase) bool { return o.Key() == c.Key() })
		if i >= 0 {
			s.Cases[i] = c
		} else {
			s.Cases = append(s.Cases, c)
		}
	}
	s.Sort()
	return keys
}

// Sort puts the cases in report order: by size, then setting (in
// LossSettings' order), then scenario (in LossScenarios' order); names
// those lists do not know come after the known ones, by name.
func (s *LossStore) Sort() {
	rank := func(names []string, n string) int {
		if i := slices.Index(names, n); i >= 0 {
			return i
		}
		return len(names)
	}
	var settings, scenarios []string
	for _, st := range LossSettings() {
		settings = append(settings, st.Name)
	}
	for _, sc := range LossScenarios() {
		scenarios = append(scenarios, sc.Name)
	}
	slices.SortStableFunc(s.Cases, func(a, b StoredLossCase) int {
		return cmp.Or(cmp.Compare(a.N, b.N),
			cmp.Compare(rank(settings, a.Setting.Name), rank(settings, b.Setting.Name)), strings.Compare(a.Setting.Name, b.Setting.Name),
			cmp.Compare(rank(scenarios, a.Scenario.Name), rank(scenarios, b.Scenario.Name)), strings.Compare(a.Scenario.Name, b.Scenario.Name))
	})
}

// sortCosts puts the costs in report order: by size, setting (in
// LossSettings' order) and implementation.
func (s *LossStore) sortCosts() {
	var settings []string
	for _, st := range LossSettings() {
		settings = append(settings, st.Name)
	}
	rank := func(n string) int {
		if i := slices.Index(settings, n); i >= 0 {
			return i
		}
		return len(settings)
	}
	slices.SortStableFunc(s.Costs, func(a, b LossCost) int {
		return cmp.Or(cmp.Compare(a.N, b.N), cmp.Compare(rank(a.Setting.Name), rank(b.Setting.Name)),
			strings.Compare(a.Setting.Name, b.Setting.Name), strings.Compare(a.Impl, b.Impl))
	})
}

// check reports the first case that cannot be rendered, or a key stored
// twice.
func (s *LossStore) check() error {
	seen := map[string]bool{}
	for i, c := range s.Cases {
		if c.N < 4 || c.Setting.Name == "" || c.Scenario.Name == "" || len(c.Impls) == 0 {
			return fmt.Errorf("case %d (%s): needs a size of at least 4, a setting, a scenario and implementations", i, c.Key())
		}
		if seen[c.Key()] {
			return fmt.Errorf("case %s stored twice", c.Key())
		}
		seen[c.Key()] = true
	}
	for i, c := range s.Costs {
		if c.N < 4 || c.Setting.Name == "" || c.Impl == "" || len(c.Bytes) == 0 || len(c.Bytes) != len(c.Packets) {
			return fmt.Errorf("cost %d (%s): needs a size of at least 4, a setting, an implementation and one figure a run", i, c.Key())
		}
		if seen["cost "+c.Key()] {
			return fmt.Errorf("cost %s stored twice", c.Key())
		}
		seen["cost "+c.Key()] = true
	}
	return nil
}

// LoadLossStore reads a store saved by Save; a file that does not exist
// is an empty store.
func LoadLossStore(path string) (*LossStore, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &LossStore{}, nil
	}
	if err != nil {
		return nil, err
	}
	var s LossStore
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("loss store %s: %w", path, err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("loss store %s: %w", path, err)
	}
	s.Sort()
	s.sortCosts()
	return &s, nil
}

// Save writes the store as indented JSON to path.
func (s *LossStore) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
