package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// LossCost is the price of a setting: what the members of one
// implementation send, per member-second, in a quiet cluster of N members
// at that setting. A setting that detects faster sends more, so the cost
// is the frontier's third axis: with no false failures at any setting,
// detection time alone would make the fastest setting dominate every
// other, whatever it costs.
type LossCost struct {
	N       int         `json:"n"`
	Setting LossSetting `json:"setting"`
	Impl    string      `json:"impl"`
	// Bytes and Packets are, per run, what each member sent (datagrams
	// plus stream bytes; datagrams) per second of the quiet window.
	Bytes   []float64 `json:"bytes_per_node_s"`
	Packets []float64 `json:"packets_per_node_s"`
	// Measured describes the run that measured this cost.
	Measured LossProvenance `json:"measured"`
}

// Key names the cost: "N/setting/impl".
func (c LossCost) Key() string { return fmt.Sprintf("%d/%s/%s", c.N, c.Setting.Name, c.Impl) }

// CostOptions configure RunCost. Zero fields take the defaults.
type CostOptions struct {
	// N is the cluster size (at least 4).
	N      int
	Params Params
	Seed   uint64
	// ConvergeLimit bounds formation (default 30s); Settle is the pause
	// after it (default 10s), so that formation's exchanges are over;
	// Quiet is the measured window (default 30s).
	ConvergeLimit, Settle, Quiet time.Duration
}

// RunCost forms a cluster of impl with o.Params, lets it settle, and
// measures what its members send over o.Quiet, per member-second (bytes
// of datagrams and streams, and datagrams). It waits up to
// o.ConvergeLimit for every view to be whole, then goes on regardless.
func RunCost(ctx context.Context, impl Impl, o CostOptions) (bytes, packets float64, err error) {
	if o.N < 4 {
		return 0, 0, fmt.Errorf("bench: need at least 4 members, got %d", o.N)
	}
	if o.ConvergeLimit <= 0 {
		o.ConvergeLimit = 30 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 10 * time.Second
	}
	if o.Quiet <= 0 {
		o.Quiet = 30 * time.Second
	}
	c, err := startClusterWith(ctx, impl, o.N, o.Params, o.Seed, false)
	if err != nil {
		return 0, 0, err
	}
	defer c.shutdown()
	if err := c.joinAll(ctx); err != nil && ctx.Err() != nil {
		return 0, 0, err
	}
	// A view or two still short after the limit (memberlist's, on a busy
	// machine) adds little traffic: the run goes on, as RunLoss does.
	c.awaitViews(ctx, time.Now(), o.ConvergeLimit)
	if err := pause(ctx, o.Settle); err != nil {
		return 0, 0, err
	}
	cnt0, t0 := c.counters(), time.Now()
	if err := pause(ctx, o.Quiet); err != nil {
		return 0, 0, err
	}
	cnt, secs := c.counters().Sub(cnt0), time.Since(t0).Seconds()
	ns := float64(o.N) * secs
	return float64(cnt.Bytes+cnt.StreamBytes) / ns, float64(cnt.Packets) / ns, nil
}

// ExecuteCosts measures the cost of every size × setting of the plan for
// every implementation, p.Runs times (seeds 1, 2, …), skipping the keys
// in skip (LossCost.Key). Runs that fail are reported in errs and left
// out.
func (p LossPlan) ExecuteCosts(ctx context.Context, skip []string, progress io.Writer) (costs []LossCost, errs []string, err error) {
	if len(p.Impls) == 0 {
		p.Impls = []Impl{LibGossip{}, Memberlist{}}
	}
	if p.Runs == 0 {
		p.Runs = 3
	}
	prov := LossProvenance{Start: time.Now(), Machine: Machine(), Go: runtime.Version(), Reps: p.Runs}
	for _, n := range p.Sizes {
		for _, st := range p.Settings {
			for _, impl := range p.Impls {
				lc := LossCost{N: n, Setting: st, Impl: impl.Name(), Measured: prov}
				if slices.Contains(skip, lc.Key()) {
					continue
				}
				for run := range p.Runs {
					b, pk, err := RunCost(ctx, impl, CostOptions{N: n, Params: st.Params, Seed: uint64(run + 1), ConvergeLimit: p.ConvergeLimit})
					if ctx.Err() != nil {
						return costs, errs, ctx.Err()
					}
					if err != nil {
						errs = append(errs, fmt.Sprintf("cost %s run %d: %v", lc.Key(), run+1, err))
						fmt.Fprintf(progress, "cost %-28s run %d: error %v\n", lc.Key(), run+1, err)
						continue
					}
					lc.Bytes, lc.Packets = append(lc.Bytes, b), append(lc.Packets, pk)
					fmt.Fprintf(progress, "cost %-28s run %d: %.1f bytes, %.2f packets per member-s\n", lc.Key(), run+1, b, pk)
				}
				if len(lc.Bytes) > 0 {
					costs = append(costs, lc)
				}
			}
		}
	}
	wall := time.Since(prov.Start)
	for i := range costs {
		costs[i].Measured.Wall = wall
	}
	return costs, errs, nil
}

// MergeCosts adds costs to the store, replacing those with the same key,
// and returns the keys it added or replaced.
func (s *LossStore) MergeCosts(costs []LossCost) []string {
	var keys []string
	for _, c := range costs {
		keys = append(keys, c.Key())
		i := slices.IndexFunc(s.Costs, func(o LossCost) bool { return o.Key() == c.Key() })
		if i >= 0 {
			s.Costs[i] = c
		} else {
			s.Costs = append(s.Costs, c)
		}
	}
	s.sortCosts()
	return keys
}

// cost returns the median bytes per member-second stored for the key, and
// whether there is one.
func (s *LossStore) cost(n int, setting, impl string) (float64, bool) {
	for _, c := range s.Costs {
		if c.N == n && c.Setting.Name == setting && c.Impl == impl && len(c.Bytes) > 0 {
			return statOf(c.Bytes).Med, true
		}
	}
	return 0, false
}
