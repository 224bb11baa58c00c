package kv

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentationName names the meter of this package.
const instrumentationName = "github.com/libgossip/libgossip/cluster/kv"

// WithMeterProvider sets where the KV's instruments are registered (see
// the package documentation for their names). Default otel.GetMeterProvider(),
// a no-op unless the program installs a provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// instruments are a KV's synchronous instruments; the gauges and the
// merge counter are observed from the store in a callback.
type instruments struct {
	syncs metric.Int64Counter
	reg   metric.Registration
}

var (
	resultOK    = metric.WithAttributes(attribute.String("result", "ok"))
	resultError = metric.WithAttributes(attribute.String("result", "error"))
)

// newInstruments registers the KV's instruments on mp. Errors from the
// API are returned (a misbehaving provider); instruments are never nil.
func newInstruments(mp metric.MeterProvider, k *KV) (*instruments, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentationName)
	ins := &instruments{}
	var err error
	if ins.syncs, err = m.Int64Counter("libgossip.kv.syncs", metric.WithUnit("{exchange}"),
		metric.WithDescription("Anti-entropy exchanges this member started, by result.")); err != nil {
		return nil, err
	}
	keys, err := m.Int64ObservableGauge("libgossip.kv.keys", metric.WithUnit("{key}"),
		metric.WithDescription("Entries in the store, tombstones included."))
	if err != nil {
		return nil, err
	}
	size, err := m.Int64ObservableGauge("libgossip.kv.bytes", metric.WithUnit("By"),
		metric.WithDescription("Bytes of the store charged against its MaxTotalSize."))
	if err != nil {
		return nil, err
	}
	merges, err := m.Int64ObservableCounter("libgossip.kv.merges", metric.WithUnit("{entry}"),
		metric.WithDescription("Remote entries merged, by result: applied, stale or refused."))
	if err != nil {
		return nil, err
	}
	applied := metric.WithAttributes(attribute.String("result", "applied"))
	stale := metric.WithAttributes(attribute.String("result", "stale"))
	refused := metric.WithAttributes(attribute.String("result", "refused"))
	ins.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		k.mu.Lock()
		n, b, st := k.store.Len(), k.store.Size(), k.store.Stats()
		k.mu.Unlock()
		o.ObserveInt64(keys, int64(n))
		o.ObserveInt64(size, int64(b))
		o.ObserveInt64(merges, int64(st.Merged), applied)
		o.ObserveInt64(merges, int64(st.Stale), stale)
		o.ObserveInt64(merges, int64(st.Rejected+st.BelowHorizon), refused)
		return nil
	}, keys, size, merges)
	if err != nil {
		return nil, err
	}
	return ins, nil
}
