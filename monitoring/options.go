package monitoring

import (
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/libgossip/libgossip/net/stats"
)

// Option configures Instrument.
type Option func(*options)

type options struct {
	meters      metric.MeterProvider
	tracers     trace.TracerProvider
	transport   stats.Reporter
	log         *slog.Logger
	recent      int
	memberLimit int
	buffer      int
	attrs       []attribute.KeyValue
	probes      *ProbeTimer
}

func defaults(opts []Option) options {
	o := options{recent: 200, memberLimit: 256, buffer: 1024}
	for _, f := range opts {
		f(&o)
	}
	if o.meters == nil {
		o.meters = otel.GetMeterProvider()
	}
	if o.tracers == nil {
		o.tracers = otel.GetTracerProvider()
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	return o
}

// WithMeterProvider sets where the instruments are created. Default: the
// global provider (otel.GetMeterProvider), which records nothing until a
// program installs one.
func WithMeterProvider(p metric.MeterProvider) Option {
	return func(o *options) { o.meters = p }
}

// WithTracerProvider sets where spans are started. Default: the global
// provider (otel.GetTracerProvider).
func WithTracerProvider(p trace.TracerProvider) Option {
	return func(o *options) { o.tracers = p }
}

// WithTransport adds the counters of the node's transport (a
// *net.Transport satisfies stats.Reporter) to the instruments: packets, bytes
// and streams per direction and drops per reason, authentication failures
// included. Default: none, only the node's own counters.
func WithTransport(r stats.Reporter) Option {
	return func(o *options) { o.transport = r }
}

// WithLogger sets the logger for the monitor's own background messages.
// Default slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithRecentEvents sets how many recent events the monitor keeps for the
// dashboard. Default 200.
func WithRecentEvents(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.recent = n
		}
	}
}

// WithMemberStateLimit caps the members reported one by one in
// libgossip.member.state; above it that gauge reports nothing (the counts by
// state in libgossip.members still do). Default 256 members.
func WithMemberStateLimit(n int) Option {
	return func(o *options) { o.memberLimit = n }
}

// WithEventBuffer sets the buffer of the monitor's event subscription, in
// events. Default 1,024; events beyond it are dropped and counted in
// libgossip.events.dropped.
func WithEventBuffer(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.buffer = n
		}
	}
}

// WithAttributes adds attributes to every measurement of the monitor, for a
// process that runs several members on one MeterProvider (a demo, a test):
// WithAttributes(attribute.String("member.id", id)) keeps their series
// apart. Default none: a program usually runs one member and names it in
// the resource (Config.MemberID).
func WithAttributes(kv ...attribute.KeyValue) Option {
	return func(o *options) { o.attrs = append(o.attrs, kv...) }
}

// WithProbeTimer reports the probe round-trip times pt measures (see
// ProbeTimer) as the libgossip.probe.rtt histogram and on the dashboard.
// Default: no round-trip times.
func WithProbeTimer(pt *ProbeTimer) Option {
	return func(o *options) { o.probes = pt }
}
