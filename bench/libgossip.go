package bench

import (
	"context"
	"log/slog"
	"sync"

	"github.com/libgossip/libgossip/bench/fault"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

// LibGossip is the adapter for libgossip: a gossip.Node with the LAN preset
// over the net module's hybrid (UDP packets, TCP streams) transport.
type LibGossip struct{}

// Name returns "libgossip".
func (LibGossip) Name() string { return "libgossip" }

// Config returns the libgossip configuration for p.
func (LibGossip) Config(p Params) gossip.Config {
	cfg := gossip.LANConfig()
	if p.ProbeInterval > 0 {
		cfg.ProbeInterval = p.ProbeInterval
	}
	if p.ProbeTimeout > 0 {
		cfg.ProbeTimeout = p.ProbeTimeout
	}
	if p.GossipInterval > 0 {
		cfg.GossipInterval = p.GossipInterval
	}
	if p.Fanout > 0 {
		cfg.GossipFanout = p.Fanout
	}
	if p.SuspicionMult > 0 {
		cfg.SuspicionMult = p.SuspicionMult
	}
	if p.FlapThreshold != 0 {
		cfg.FlapThreshold = p.FlapThreshold
	}
	cfg.DisableLateHold = p.NoLateHold
	return cfg
}

// Start starts one libgossip member.
func (l LibGossip) Start(ctx context.Context, spec NodeSpec) (Node, error) {
	tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(discard))
	if err != nil {
		return nil, err
	}
	cfg := l.Config(spec.Params)
	cfg.ID = spec.ID
	var gt gossip.Transport = fault.WrapGossip(tr, spec.Faults)
	if spec.Dials != nil {
		gt = gossipDials{Transport: gt, d: spec.Dials}
	}
	n, err := gossip.New(cfg, gt, gossip.WithLogger(discard))
	if err != nil {
		return nil, err
	}
	sub := n.Subscribe(eventBuffer)
	if err := n.Start(ctx); err != nil {
		return nil, err
	}
	g := &lgNode{n: n, in: spec.Faults, done: make(chan struct{})}
	go func() {
		defer close(g.done)
		for e := range sub.C {
			t := Event{Observer: spec.ID, Subject: e.Member.ID, Meta: e.Member.Meta[MetaKey], Time: e.Time,
				Local: e.Origin == gossip.OriginLocal}
			switch e.Type {
			case gossip.EventJoin, gossip.EventAlive:
				t.Type = Join
			case gossip.EventUpdate:
				t.Type = Update
			case gossip.EventSuspect:
				t.Type = Suspect
			case gossip.EventFailed:
				t.Type = Failed
				t.Detail = e.Origin.String() + " " + e.String()
			case gossip.EventLeft:
				t.Type = Left
			case gossip.EventRefuted:
				t.Type = Refuted
			default:
				continue
			}
			spec.Observe(t)
		}
	}()
	return g, nil
}

// eventBuffer is the subscription buffer: the library's default. Its
// memory counts in libgossip's heap figure, as it would in an application
// (the channel's 16 events always, the rest while the reader lags).
const eventBuffer = gossip.DefaultSubscribeBuffer

var discard = slog.New(slog.DiscardHandler)

type lgNode struct {
	n    *gossip.Node
	in   *fault.Injector
	done chan struct{} // closed when the event forwarder exits
	once sync.Once
	err  error
}

func (g *lgNode) Addr() string { return g.n.LocalNode().Addr }

func (g *lgNode) Join(ctx context.Context, seed string) error { return g.n.Join(ctx, seed) }

func (g *lgNode) SetMeta(_ context.Context, k, v string) error {
	return g.n.SetMeta(map[string]string{k: v})
}

func (g *lgNode) Leave(ctx context.Context) error { return g.n.Leave(ctx) }

func (g *lgNode) Crash(ctx context.Context) error {
	g.in.SetDown(true)
	return g.Shutdown(ctx)
}

func (g *lgNode) Shutdown(ctx context.Context) error {
	g.once.Do(func() {
		g.err = g.n.Shutdown(ctx)
		select {
		case <-g.done:
		case <-ctx.Done():
			g.err = ctx.Err()
		}
	})
	return g.err
}

// counters are the node's protocol counters the loss trace sums.
func (g *lgNode) counters() map[string]float64 {
	s := g.n.Stats()
	return map[string]float64{
		"late_ticks": float64(s.LateTicks), "late_holds": float64(s.LateHolds),
		"max_awareness": float64(s.Awareness), "suspicions": float64(s.Suspicions),
		"failed": float64(s.Failed), "damped": float64(s.Damped), "probes": float64(s.Probes),
		"probes_failed": float64(s.ProbesFailed), "streams_out": float64(s.StreamsOut),
		"dials_skipped": float64(s.DialsSkipped), "inbound_dropped": float64(s.InboundDropped),
		"send_dropped": float64(s.SendDropped), "send_stale": float64(s.SendStale),
	}
}
