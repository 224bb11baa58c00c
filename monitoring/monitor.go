package monitoring

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/core"
)

// ScopeName is the instrumentation scope of every meter and tracer this
// package creates.
const ScopeName = "github.com/libgossip/libgossip/monitoring"

// ErrClosed is returned by a Monitor's methods after Close.
var ErrClosed = errors.New("monitoring: monitor closed")

// Monitor observes one gossip.Node: it reports the node's counters and
// membership through OpenTelemetry instruments, turns its events into
// counters, spans and a list of recent events, and feeds the dashboard.
// Create it with Instrument; all methods are safe for concurrent use.
type Monitor struct {
	node   *gossip.Node
	o      options
	tracer trace.Tracer
	inst   *instruments
	reg    metric.Registration
	sub    *gossip.Subscription
	done   chan struct{}
	wg     sync.WaitGroup

	stateOpts  map[gossip.State]metric.MeasurementOption
	eventAttrs map[gossip.EventType]metric.MeasurementOption

	mu      sync.Mutex
	recent  []EventRecord // ring of the last o.recent events
	next    int           // index of the next write in recent
	total   uint64        // events seen
	changed chan struct{} // closed and replaced on every event
	closed  bool
	stopped bool // the event loop has exited
}

// EventRecord is one event as the monitor keeps it for the dashboard.
type EventRecord struct {
	Seq    uint64    `json:"seq"`    // position in this monitor's event stream, from 1
	Time   time.Time `json:"time"`   // when the node produced the event
	Type   string    `json:"type"`   // "join", "update", "suspect", "alive", "failed", "left", "conflict", "user", "refuted"
	Member string    `json:"member"` // the member the event is about (the origin for "user")
	State  string    `json:"state"`  // the member's state after the event
	Origin string    `json:"origin"` // "local" (this member's timers or calls) or "gossip" (learned)
	Detail string    `json:"detail"` // a short human note (accusers, payload size, ...)
}

// Instrument starts observing node: it creates the instruments (named in the
// Metric* constants) on the meter provider, subscribes to the node's events
// and starts one goroutine that handles them. The node may be started before
// or after; the monitor stops on its own when the node shuts down (which
// closes its subscription) or when Close is called. Instrument a node once
// per meter provider (two monitors of one node would report every series
// twice); several members on one provider need WithAttributes.
func Instrument(node *gossip.Node, opts ...Option) (*Monitor, error) {
	if node == nil {
		return nil, errors.New("monitoring: nil node")
	}
	o := defaults(opts)
	meter := o.meters.Meter(ScopeName)
	inst, obs, err := newInstruments(meter, o.transport != nil)
	if err != nil {
		return nil, fmt.Errorf("monitoring: instruments: %w", err)
	}
	mon := &Monitor{
		node:       node,
		o:          o,
		tracer:     o.tracers.Tracer(ScopeName),
		inst:       inst,
		done:       make(chan struct{}),
		stateOpts:  map[gossip.State]metric.MeasurementOption{},
		eventAttrs: map[gossip.EventType]metric.MeasurementOption{},
		recent:     make([]EventRecord, 0, o.recent),
		changed:    make(chan struct{}),
	}
	for _, s := range allStates {
		mon.stateOpts[s] = mon.with(attribute.String("state", StateName(s)))
	}
	for t := gossip.EventJoin; t <= core.EventRefuted; t++ {
		mon.eventAttrs[t] = mon.with(attribute.String("type", t.String()))
	}
	mon.sub = node.Subscribe(o.buffer)
	mon.reg, err = meter.RegisterCallback(mon.observe, obs...)
	if err != nil {
		mon.sub.Close()
		return nil, fmt.Errorf("monitoring: register callback: %w", err)
	}
	if pt := o.probes; pt != nil {
		base := mon.with()
		pt.observe(func(_ string, d time.Duration) {
			mon.inst.probeRTT.Record(context.Background(), d.Seconds(), base)
		})
	}
	mon.wg.Add(1)
	go mon.loop()
	return mon, nil
}

// ProbeRTT returns the smoothed probe round-trip time from this member to
// the member id, when a ProbeTimer was given (WithProbeTimer) and a probe to
// id was answered.
func (mon *Monitor) ProbeRTT(id string) (time.Duration, bool) {
	if mon.o.probes == nil {
		return 0, false
	}
	return mon.o.probes.RTT(id)
}

// Node returns the observed node.
func (mon *Monitor) Node() *gossip.Node { return mon.node }

// Close stops the monitor: it ends the event subscription, waits for the
// event goroutine and unregisters the instruments' callback. It does not
// stop the node. Close after Close is a no-op.
func (mon *Monitor) Close() error {
	mon.mu.Lock()
	if mon.closed {
		mon.mu.Unlock()
		return nil
	}
	mon.closed = true
	mon.mu.Unlock()
	close(mon.done)
	if mon.o.probes != nil {
		mon.o.probes.observe(nil)
	}
	mon.sub.Close()
	mon.wg.Wait()
	return mon.reg.Unregister()
}

func (mon *Monitor) loop() {
	defer mon.wg.Done()
	defer func() {
		mon.mu.Lock()
		mon.stopped = true
		ch := mon.changed
		mon.changed = make(chan struct{})
		mon.mu.Unlock()
		close(ch)
	}()
	for {
		select {
		case <-mon.done:
			return
		case ev, ok := <-mon.sub.C:
			if !ok {
				return
			}
			mon.handle(ev)
		}
	}
}

func (mon *Monitor) handle(ev gossip.Event) {
	ctx := context.Background()
	if a, ok := mon.eventAttrs[ev.Type]; ok {
		mon.inst.events.Add(ctx, 1, a)
	}
	rec := EventRecord{Time: ev.Time, Type: ev.Type.String(), Member: ev.Member.ID, State: StateName(ev.Member.State), Origin: ev.Origin.String()}
	switch ev.Type {
	case gossip.EventFailed:
		mon.inst.failures.Add(ctx, 1, mon.with(attribute.String("origin", failureOrigin(ev))))
	case gossip.EventUser:
		rec.Detail = mon.traceReceived(ev)
	case gossip.EventJoin:
		mon.traceJoinSeen(ev)
	case gossip.EventConflict:
		if ev.Other != nil {
			rec.Detail = "other claim at " + ev.Other.Addr
		}
	}
	if extra := eventDetail(ev); extra != "" {
		if rec.Detail != "" {
			rec.Detail += "; "
		}
		rec.Detail += extra
	}
	mon.record(rec)
}

func (mon *Monitor) record(rec EventRecord) {
	mon.mu.Lock()
	mon.total++
	rec.Seq = mon.total
	if len(mon.recent) < cap(mon.recent) {
		mon.recent = append(mon.recent, rec)
	} else {
		mon.recent[mon.next] = rec
	}
	mon.next = (mon.next + 1) % cap(mon.recent)
	ch := mon.changed
	mon.changed = make(chan struct{})
	mon.mu.Unlock()
	close(ch)
}

// Recent returns up to the last n events the monitor has seen, oldest first
// (all it keeps when n <= 0). The caller owns the returned slice.
func (mon *Monitor) Recent(n int) []EventRecord {
	mon.mu.Lock()
	defer mon.mu.Unlock()
	out := make([]EventRecord, 0, len(mon.recent))
	if len(mon.recent) < cap(mon.recent) {
		out = append(out, mon.recent...)
	} else {
		out = append(out, mon.recent[mon.next:]...)
		out = append(out, mon.recent[:mon.next]...)
	}
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// Changed returns a channel that is closed at the next event the monitor
// handles. Take a new one after each wake-up.
func (mon *Monitor) Changed() <-chan struct{} {
	mon.mu.Lock()
	defer mon.mu.Unlock()
	return mon.changed
}

// Running reports whether the monitor is still following its node: false
// after Close or once the node has shut down.
func (mon *Monitor) Running() bool {
	mon.mu.Lock()
	defer mon.mu.Unlock()
	return !mon.stopped
}
