package bench

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// LossScenario is one heavy-loss condition applied to a formed cluster for
// a window, then lifted.
type LossScenario struct {
	// Name is a short identifier for flags and JSON ("30+30s").
	Name string `json:"name"`
	// Title describes it in tables.
	Title string `json:"title"`
	// Loss is the uniform outbound packet loss on every member, in [0, 1].
	Loss float64 `json:"loss"`
	// DialFail is the probability, in [0, 1], that any member's stream
	// dial fails.
	DialFail float64 `json:"dial_fail"`
	// Delay and Jitter delay every packet that is not dropped by Delay
	// plus a uniform extra in [0, Jitter).
	Delay  time.Duration `json:"delay"`
	Jitter time.Duration `json:"jitter"`
	// SickLoss, if above zero, makes the last member sick: it loses this
	// fraction of the packets it sends and of those it receives, refuses
	// that fraction of inbound streams and fails that fraction of its own
	// dials. Its own failure is not a false failure, and what it declares
	// about others is counted apart.
	SickLoss float64 `json:"sick_loss,omitempty"`
}

// lossLatency is the latency every loss scenario adds: 5ms plus up to
// 5ms of jitter per packet.
const lossDelay, lossJitter = 5 * time.Millisecond, 5 * time.Millisecond

// LossScenarios are the heavy-loss conditions of `make bench-loss`, in
// order: 10%, 30% and 50% uniform packet loss, 30% loss with 30% of stream
// dials failing, and one member with 80% loss on its own links. Every one
// adds 5ms + [0, 5ms) latency to each packet.
func LossScenarios() []LossScenario {
	l := func(name, title string, loss, dial, sick float64) LossScenario {
		return LossScenario{Name: name, Title: title, Loss: loss, DialFail: dial, Delay: lossDelay, Jitter: lossJitter, SickLoss: sick}
	}
	return []LossScenario{
		l("10", "10% loss", 0.10, 0, 0),
		l("30", "30% loss", 0.30, 0, 0),
		l("30+30s", "30% loss + 30% stream dials fail", 0.30, 0.30, 0),
		l("50", "50% loss", 0.50, 0, 0),
		l("sick80", "one member 80% loss on its links", 0, 0, 0.80),
	}
}

// FastParams are the fast settings of the loss runs: probe interval 200ms,
// probe timeout 100ms, gossip interval 50ms, fanout 3.
func FastParams() Params {
	return Params{ProbeInterval: 200 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, GossipInterval: 50 * time.Millisecond, Fanout: 3}
}

// LossOptions select one RunLoss run. Zero fields take the documented
// default.
type LossOptions struct {
	// N is the number of members; at least 4. Default 64.
	N int
	// Params are the protocol settings (zero: LAN defaults).
	Params Params
	// Seed seeds the fault injectors. Default 1.
	Seed uint64
	// Scenario is the condition applied.
	Scenario LossScenario
	// Window is how long the condition lasts. Default 30s.
	Window time.Duration
	// ConvergeLimit bounds formation before the window. Default 30s.
	ConvergeLimit time.Duration
	// HealLimit bounds the wait for whole views after the window.
	// Default 60s.
	HealLimit time.Duration
	// Trace, if set, gets one line per false failure declaration (time
	// from the window's start, observer, and the library's detail).
	Trace io.Writer
}

func (o *LossOptions) fill() {
	if o.N == 0 {
		o.N = 64
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Window == 0 {
		o.Window = 30 * time.Second
	}
	if o.ConvergeLimit == 0 {
		o.ConvergeLimit = 30 * time.Second
	}
	if o.HealLimit == 0 {
		o.HealLimit = 60 * time.Second
	}
}

// LossRunResult is one RunLoss run's figures. Events are counted from the
// start of the window until views healed (or the heal limit passed).
type LossRunResult struct {
	Impl     string `json:"impl"`
	N        int    `json:"n"`
	Params   Params `json:"params"`
	Scenario string `json:"scenario"`
	// WindowSeconds is how long the condition lasted.
	WindowSeconds float64 `json:"window_s"`
	// ConvergeMissing counts members whose view was not whole before the
	// window (the run went on regardless).
	ConvergeMissing int `json:"converge_missing,omitempty"`
	// FalseFailures counts failure declarations of healthy members by
	// healthy members (every member is healthy but the sick one).
	FalseFailures int `json:"false_failures"`
	// FalselyFailed counts distinct healthy members declared failed by at
	// least one healthy member.
	FalselyFailed int `json:"falsely_failed"`
	// Suspicions counts suspicions of healthy members that healthy
	// members raised from their own probes (Event.Local): memberlist logs
	// only those, so suspicions heard of by gossip are not counted.
	Suspicions int `json:"suspicions"`
	// Refutations counts members refuting a suspicion or death of
	// themselves (libgossip: EventRefuted; memberlist: its "Refuting a
	// suspect/dead message" log lines).
	Refutations int `json:"refutations"`
	// SickFailedShare is the share of healthy members that declared the
	// sick member failed at least once (0 without a sick member).
	SickFailedShare float64 `json:"sick_failed_share,omitempty"`
	// FailedBySick counts failure declarations made by the sick member.
	FailedBySick int `json:"failed_by_sick,omitempty"`
	// Heal is the time from the end of the window until each member's
	// view held exactly the live members.
	Heal Spread `json:"heal_s"`
	// DialsRefused counts stream dials failed on purpose.
	DialsRefused uint64 `json:"dials_refused"`
	// Detect is, after views healed (or the heal limit passed), the time
	// from a healthy member's crash until each other live member declared
	// it failed, with no loss: the other axis of the frontier.
	Detect Spread `json:"detect_s"`
}

// FalsePerMemberHour is FalseFailures per member per hour of window.
func (r LossRunResult) FalsePerMemberHour() float64 {
	if r.N == 0 || r.WindowSeconds == 0 {
		return 0
	}
	return float64(r.FalseFailures) / float64(r.N) / (r.WindowSeconds / 3600)
}

// lossTally counts events into r: sick is the sick member's ID ("" if
// none), healthy the number of healthy members.
func lossTally(r *LossRunResult, events []Event, t0 time.Time, sick string, healthy int) {
	falsely := map[string]bool{}
	sickBy := map[string]bool{}
	for _, e := range events {
		if e.Time.Before(t0) {
			continue
		}
		byHealthy := e.Observer != sick
		switch {
		case e.Type == Refuted:
			r.Refutations++
		case e.Type == Failed && !byHealthy:
			r.FailedBySick++
		case e.Type == Failed && e.Subject == sick:
			sickBy[e.Observer] = true
		case e.Type == Failed:
			r.FalseFailures++
			falsely[e.Subject] = true
		case e.Type == Suspect && e.Local && byHealthy && e.Subject != sick:
			r.Suspicions++
		}
	}
	r.FalselyFailed = len(falsely)
	if sick != "" && healthy > 0 {
		r.SickFailedShare = float64(len(sickBy)) / float64(healthy)
	}
}

// RunLoss forms a cluster of impl, applies o.Scenario to every member (or
// to the sick one) for o.Window, lifts it, and waits for every view to hold
// exactly the live members again. No member crashes, so every failure
// declaration of a healthy member is false. It shuts the cluster down
// before returning.
func RunLoss(ctx context.Context, impl Impl, o LossOptions) (LossRunResult, error) {
	o.fill()
	if o.N < 4 {
		return LossRunResult{}, fmt.Errorf("bench: need at least 4 members, got %d", o.N)
	}
	sc := o.Scenario
	r := LossRunResult{Impl: impl.Name(), N: o.N, Params: o.Params, Scenario: sc.Name}
	c, err := startClusterWith(ctx, impl, o.N, o.Params, o.Seed, true)
	if err != nil {
		return r, err
	}
	defer c.shutdown()
	if err := c.joinAll(ctx); err != nil && ctx.Err() != nil {
		return r, err
	}
	r.ConvergeMissing = c.awaitViews(ctx, time.Now(), o.ConvergeLimit).Missing
	c.rec.forget()

	sick, healthy := "", o.N
	set := func(on bool) {
		f := func(x float64) float64 {
			if on {
				return x
			}
			return 0
		}
		for i, in := range c.inj {
			in.SetLoss(f(sc.Loss))
			c.dials[i].SetRate(f(sc.DialFail))
			if on {
				in.SetDelay(sc.Delay, sc.Jitter)
			} else {
				in.SetDelay(0, 0)
			}
		}
		if sc.SickLoss > 0 {
			i := o.N - 1 // never the seed
			c.inj[i].SetLoss(f(sc.SickLoss))
			c.inj[i].SetRecvLoss(f(sc.SickLoss))
			c.dials[i].SetRate(f(sc.SickLoss))
		}
	}
	if sc.SickLoss > 0 {
		sick, healthy = c.ids[o.N-1], o.N-1
	}
	t0 := time.Now()
	set(true)
	err = pause(ctx, o.Window)
	set(false)
	t1 := time.Now()
	r.WindowSeconds = t1.Sub(t0).Seconds()
	if err != nil {
		return r, err
	}
	r.Heal = c.awaitViews(ctx, t1, o.HealLimit)
	c.rec.mu.Lock()
	lossTally(&r, c.rec.events, t0, sick, healthy)
	if o.Trace != nil {
		traceFalse(o.Trace, impl.Name(), c.rec.events, t0, sick)
		traceCounters(o.Trace, impl.Name(), c.nodes)
	}
	c.rec.mu.Unlock()
	for _, d := range c.dials {
		r.DialsRefused += d.Refused()
	}
	c.rec.forget()

	// detect: a healthy member that is neither the seed nor the sick one
	victim := o.N - 2
	vid := c.ids[victim]
	t2 := time.Now()
	_ = c.nodes[victim].Crash(ctx)
	c.up[victim] = false
	r.Detect = c.awaitFirst(ctx, c.liveIDs(-1), t2, o.HealLimit, func(e Event) bool {
		return e.Subject == vid && e.Type == Failed
	})
	return r, ctx.Err()
}

// traceFalse writes one line per false failure declaration in events.
func traceFalse(w io.Writer, impl string, events []Event, t0 time.Time, sick string) {
	for _, e := range events {
		if e.Time.Before(t0) || e.Type != Failed || e.Observer == sick || e.Subject == sick {
			continue
		}
		fmt.Fprintf(w, "%s %8.3fs %s failed %s: %s\n", impl, e.Time.Sub(t0).Seconds(), e.Observer, e.Subject, e.Detail)
	}
}

// counterNode is a Node that can describe its protocol counters (the
// libgossip adapter).
type counterNode interface {
	counters() map[string]float64
}

// traceCounters writes the sum over nodes of each counter (a "max_"
// counter: the maximum), for the nodes that report any.
func traceCounters(w io.Writer, impl string, nodes []Node) {
	sum := map[string]float64{}
	for _, n := range nodes {
		cn, ok := n.(counterNode)
		if !ok {
			continue
		}
		for k, v := range cn.counters() {
			if strings.HasPrefix(k, "max_") {
				sum[k] = max(sum[k], v)
			} else {
				sum[k] += v
			}
		}
	}
	if len(sum) == 0 {
		return
	}
	keys := slices.Sorted(maps.Keys(sum))
	fmt.Fprintf(w, "%s counters:", impl)
	for _, k := range keys {
		fmt.Fprintf(w, " %s=%g", k, sum[k])
	}
	fmt.Fprintln(w)
}
