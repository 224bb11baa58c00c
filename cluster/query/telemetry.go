package query

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the meter and tracer of this package.
const instrumentationName = "github.com/libgossip/libgossip/cluster/query"

// maxTraceField bounds the traceparent and tracestate carried in a query.
const maxTraceField = 512

// WithMeterProvider sets where the Querier's instruments are registered
// (see the package documentation). Default otel.GetMeterProvider(), a
// no-op unless the program installs a provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// WithTracerProvider sets where the Querier's spans go (libgossip.query
// on the origin, libgossip.query.handle on each responder). Default
// otel.GetTracerProvider(), a no-op unless the program installs one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

type telemetry struct {
	tracer    trace.Tracer
	sent      metric.Int64Counter
	responses metric.Int64Counter
	duration  metric.Float64Histogram
}

func newTelemetry(o options) (*telemetry, error) {
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
	if t.sent, err = m.Int64Counter("libgossip.query.sent", metric.WithUnit("{query}"),
		metric.WithDescription("Queries this member sent.")); err != nil {
		return nil, err
	}
	if t.responses, err = m.Int64Counter("libgossip.query.responses", metric.WithUnit("{response}"),
		metric.WithDescription("Responses this member's queries received, by result: ok or error.")); err != nil {
		return nil, err
	}
	if t.duration, err = m.Float64Histogram("libgossip.query.duration", metric.WithUnit("s"),
		metric.WithDescription("Time a query of this member collected responses, from send to timeout or Close.")); err != nil {
		return nil, err
	}
	return t, nil
}

var (
	respOK    = metric.WithAttributes(attribute.String("result", "ok"))
	respError = metric.WithAttributes(attribute.String("result", "error"))
)

// inject writes the span context of ctx into r's trace fields (nothing
// when ctx carries no valid span context).
func inject(ctx context.Context, r *Request) {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	r.traceparent, r.tracestate = c["traceparent"], c["tracestate"]
}

// extract returns ctx with the remote span context r carries, if any.
func extract(ctx context.Context, r Request) context.Context {
	if r.traceparent == "" {
		return ctx
	}
	c := propagation.MapCarrier{"traceparent": r.traceparent}
	if r.tracestate != "" {
		c["tracestate"] = r.tracestate
	}
	return propagation.TraceContext{}.Extract(ctx, c)
}

// queryAttrs are the attributes of a query's spans.
func queryAttrs(r Request) trace.SpanStartOption {
	return trace.WithAttributes(attribute.String("libgossip.query.name", r.Name),
		attribute.String("libgossip.query.from", r.From), attribute.Int64("libgossip.query.id", int64(r.ID)))
}

// end ends a query's span and records its duration, once.
func (p *Pending) end() {
	if p.span == nil {
		return
	}
	p.q.tel.duration.Record(context.Background(), time.Since(p.start).Seconds())
	p.span.SetAttributes(attribute.Int("libgossip.query.responses", len(p.seen)), attribute.Int("libgossip.query.acks", len(p.acked)))
	p.span.End()
}

// handled ends a responder's span with the outcome of its handler.
func handled(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, truncate(err.Error(), 256))
	}
	span.End()
}
