package election

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentationName names the meter of this package.
const instrumentationName = "github.com/libgossip/libgossip/cluster/election"

// WithMeterProvider sets where the Election's instruments are registered
// (see the package documentation). Default otel.GetMeterProvider(), a
// no-op unless the program installs a provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

type telemetry struct {
	changes metric.Int64Counter
	self    metric.MeasurementOption // leader changes to this member
	other   metric.MeasurementOption // leader changes to another (or none)
	reg     metric.Registration
}

// newTelemetry registers the Election's instruments; the token gauge is
// observed only while the Election runs.
func newTelemetry(mp metric.MeterProvider, e *Election) (*telemetry, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentationName)
	name := attribute.String("libgossip.election.name", e.name)
	t := &telemetry{
		self:  metric.WithAttributes(name, attribute.Bool("self", true)),
		other: metric.WithAttributes(name, attribute.Bool("self", false)),
	}
	var err error
	if t.changes, err = m.Int64Counter("libgossip.election.leader_changes", metric.WithUnit("{change}"),
		metric.WithDescription("Leader changes this member saw, by whether it became the leader (self).")); err != nil {
		return nil, err
	}
	token, err := m.Int64ObservableGauge("libgossip.election.token", metric.WithUnit("{token}"),
		metric.WithDescription("Fencing token of the current lease as this member sees it (0 without a leader)."))
	if err != nil {
		return nil, err
	}
	byName := metric.WithAttributes(name)
	t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		e.mu.Lock()
		running, tok := e.state == 1, e.lease.Token
		e.mu.Unlock()
		if running {
			o.ObserveInt64(token, int64(tok), byName)
		}
		return nil
	}, token)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// changed counts one leader change.
func (t *telemetry) changed(self bool) {
	if self {
		t.changes.Add(context.Background(), 1, t.self)
	} else {
		t.changes.Add(context.Background(), 1, t.other)
	}
}
