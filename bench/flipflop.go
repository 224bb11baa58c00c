package bench

import (
	"context"
	"time"
)

// FlipFlopOptions select a RunFlipFlop run. Zero fields take the documented
// default.
type FlipFlopOptions struct {
	// N is the number of members. Default 20.
	N int
	// Params are the protocol settings.
	Params Params
	// Seed seeds the fault injectors. Default 1.
	Seed uint64
	// Faulty is the fraction of members given the fault, rounded up to
	// at least one. Default 0.05.
	Faulty float64
	// RecvLoss is the inbound loss while the fault is on. Default 0.9.
	RecvLoss float64
	// Period is how long the fault stays on, then off, in turn, starting
	// on. Default 20s (the Rapid paper's flip-flop).
	Period time.Duration
	// Window is how long the fault runs. Default 2·Period.
	Window time.Duration
	// Limit bounds the converge phase. Default 60s.
	Limit time.Duration
}

func (o *FlipFlopOptions) fill() {
	if o.N == 0 {
		o.N = 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Faulty == 0 {
		o.Faulty = 0.05
	}
	if o.RecvLoss == 0 {
		o.RecvLoss = 0.9
	}
	if o.Period == 0 {
		o.Period = 20 * time.Second
	}
	if o.Window == 0 {
		o.Window = 2 * o.Period
	}
	if o.Limit == 0 {
		o.Limit = 60 * time.Second
	}
}

// FlipFlopResult is one flip-flop run's figures.
type FlipFlopResult struct {
	Impl   string `json:"impl"`
	N      int    `json:"n"`
	Faulty int    `json:"faulty"`
	// Removed is, over the faulty members, the smallest fraction of
	// healthy members that declared it failed at least once.
	Removed float64 `json:"removed"`
	// FirstRemoval is the time from the fault's start until the first
	// healthy member declared a faulty one failed (seconds; -1 if never).
	FirstRemoval float64 `json:"first_removal_s"`
	// HealthyFailed counts failure declarations of healthy members by
	// healthy members: each one is a false failure.
	HealthyFailed int `json:"healthy_failed"`
	// HealthyFailedByFaulty counts failure declarations of healthy
	// members made by the faulty members themselves.
	HealthyFailedByFaulty int `json:"healthy_failed_by_faulty"`
}

// RunFlipFlop forms a cluster, then gives a fraction of its members an
// asymmetric fault — they send normally but drop most of what they
// receive — switched on and off every Period, and reports whether the
// faulty members were removed and whether any healthy member was declared
// failed.
func RunFlipFlop(ctx context.Context, impl Impl, o FlipFlopOptions) (FlipFlopResult, error) {
	o.fill()
	c, err := startCluster(ctx, impl, o.N, o.Params, o.Seed)
	if err != nil {
		return FlipFlopResult{}, err
	}
	defer c.shutdown()
	_ = c.joinAll(ctx)
	c.awaitViews(ctx, time.Now(), o.Limit)
	c.rec.forget()

	nf := max(1, int(float64(o.N)*o.Faulty+0.999))
	faulty := map[string]bool{}
	for i := o.N - nf; i < o.N; i++ { // the last members: never the seed
		faulty[c.ids[i]] = true
	}
	r := FlipFlopResult{Impl: impl.Name(), N: o.N, Faulty: nf, FirstRemoval: -1}
	t0 := time.Now()
	on := true
	for elapsed := time.Duration(0); elapsed < o.Window; elapsed += o.Period {
		loss := 0.0
		if on {
			loss = o.RecvLoss
		}
		for i := o.N - nf; i < o.N; i++ {
			c.inj[i].SetRecvLoss(loss)
		}
		if err := pause(ctx, min(o.Period, o.Window-elapsed)); err != nil {
			break
		}
		on = !on
	}
	for i := o.N - nf; i < o.N; i++ {
		c.inj[i].SetRecvLoss(0)
	}

	healthy := 0
	removedBy := map[string]map[string]bool{}
	var first time.Time
	c.rec.mu.Lock()
	for _, e := range c.rec.events {
		if e.Type != Failed || e.Time.Before(t0) {
			continue
		}
		switch {
		case faulty[e.Subject] && !faulty[e.Observer]:
			if removedBy[e.Subject] == nil {
				removedBy[e.Subject] = map[string]bool{}
			}
			removedBy[e.Subject][e.Observer] = true
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
		case !faulty[e.Subject] && !faulty[e.Observer]:
			r.HealthyFailed++
		case !faulty[e.Subject]:
			r.HealthyFailedByFaulty++
		}
	}
	c.rec.mu.Unlock()
	healthy = o.N - nf
	r.Removed = 1
	for id := range faulty {
		r.Removed = min(r.Removed, float64(len(removedBy[id]))/float64(healthy))
	}
	if !first.IsZero() {
		r.FirstRemoval = first.Sub(t0).Seconds()
	}
	return r, ctx.Err()
}
