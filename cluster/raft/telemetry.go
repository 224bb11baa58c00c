package raft

import (
	"context"
	"time"

	hraft "github.com/hashicorp/raft"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the meter and tracer of this package.
const instrumentationName = "github.com/libgossip/libgossip/cluster/raft"

// WithMeterProvider sets where the Server's instruments are registered
// (see the package documentation). Default otel.GetMeterProvider(), a
// no-op unless the program installs a provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// WithTracerProvider sets where the Server's libgossip.raft.apply spans
// go. Default otel.GetTracerProvider(), a no-op unless the program
// installs one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

type telemetry struct {
	tracer  trace.Tracer
	changes metric.Int64Counter
	apply   metric.Float64Histogram
	reg     metric.Registration
}

var (
	acquired = metric.WithAttributes(attribute.Bool("leader", true))
	lost     = metric.WithAttributes(attribute.Bool("leader", false))
	applyOK  = metric.WithAttributes(attribute.String("result", "ok"))
	applyErr = metric.WithAttributes(attribute.String("result", "error"))
)

// newTelemetry registers the Server's instruments; the gauges read raft
// through s.running, so they report nothing before Start or after
// Shutdown.
func newTelemetry(o options, s *Server) (*telemetry, error) {
	mp, tp := o.meterProvider, o.tracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(instrumentationName)
	t := &telemetry{tracer: tp.Tracer(instrumentationName)}
	var err error
	if t.changes, err = m.Int64Counter("libgossip.raft.leadership_changes", metric.WithUnit("{change}"),
		metric.WithDescription("Times this server became leader (leader=true) or stopped being leader (leader=false).")); err != nil {
		return nil, err
	}
	if t.apply, err = m.Float64Histogram("libgossip.raft.apply.duration", metric.WithUnit("s"),
		metric.WithDescription("Time of Apply on this server, from call to commit or error, by result.")); err != nil {
		return nil, err
	}
	contact, err := m.Float64ObservableGauge("libgossip.raft.last_contact", metric.WithUnit("s"),
		metric.WithDescription("Time since this server last heard from a leader; 0 on the leader."))
	if err != nil {
		return nil, err
	}
	commit, err := m.Int64ObservableGauge("libgossip.raft.commit_index", metric.WithUnit("{entry}"),
		metric.WithDescription("Index of the latest log entry this server knows committed."))
	if err != nil {
		return nil, err
	}
	t.reg, err = m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		r, err := s.running()
		if err != nil {
			return nil
		}
		ob.ObserveInt64(commit, int64(r.CommitIndex()))
		switch last := r.LastContact(); {
		case r.State() == hraft.Leader:
			ob.ObserveFloat64(contact, 0)
		case !last.IsZero():
			ob.ObserveFloat64(contact, time.Since(last).Seconds())
		}
		return nil
	}, contact, commit)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// leadership counts one leadership change.
func (t *telemetry) leadership(leader bool) {
	if leader {
		t.changes.Add(context.Background(), 1, acquired)
	} else {
		t.changes.Add(context.Background(), 1, lost)
	}
}

// applied records an Apply's duration and ends its span.
func (t *telemetry) applied(ctx context.Context, span trace.Span, start time.Time, res Result, err error) {
	if err != nil {
		t.apply.Record(ctx, time.Since(start).Seconds(), applyErr)
		span.SetStatus(codes.Error, err.Error())
	} else {
		t.apply.Record(ctx, time.Since(start).Seconds(), applyOK)
		span.SetAttributes(attribute.Int64("libgossip.raft.index", int64(res.Index)))
	}
	span.End()
}
