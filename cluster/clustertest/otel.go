package clustertest

import (
	"context"
	crand "crypto/rand"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	membedded "go.opentelemetry.io/otel/metric/embedded"
	mnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tembedded "go.opentelemetry.io/otel/trace/embedded"
	tnoop "go.opentelemetry.io/otel/trace/noop"
)

// Recorder is an in-memory OpenTelemetry meter provider and tracer
// provider for tests, built on the OTel API alone: the cluster module
// may not depend on the SDK, its tests included (monitoring's
// TestLibrariesStaySDKFree). It records counter and histogram
// measurements, observes gauges and observable counters on demand, and
// keeps every ended span. Safe for concurrent use.
//
// It supports the instrument kinds the cluster packages use (Int64Counter,
// Float64Histogram, Int64ObservableGauge, Int64ObservableCounter,
// Float64ObservableGauge); others are no-ops.
type Recorder struct {
	membedded.MeterProvider
	tembedded.TracerProvider

	mu        sync.Mutex
	points    []point
	callbacks map[int]registered
	next      int
	spans     []SpanRecord
}

type point struct {
	name  string
	attrs attribute.Set
	sum   float64
	count int
}

type registered struct {
	f metric.Callback
}

// SpanRecord is an ended span.
type SpanRecord struct {
	Name    string
	Context trace.SpanContext
	// Parent is the span context the span was started under (remote or
	// local), invalid for a root span.
	Parent trace.SpanContext
	Kind   trace.SpanKind
	Status codes.Code
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{callbacks: map[int]registered{}} }

// Meter returns a meter recording into r.
func (r *Recorder) Meter(string, ...metric.MeterOption) metric.Meter { return &meter{r: r} }

// Tracer returns a tracer recording into r.
func (r *Recorder) Tracer(string, ...trace.TracerOption) trace.Tracer { return &tracer{r: r} }

func (r *Recorder) add(ps *[]point, name string, attrs attribute.Set, v float64) {
	for i := range *ps {
		if p := &(*ps)[i]; p.name == name && p.attrs.Equals(&attrs) {
			p.sum += v
			p.count++
			return
		}
	}
	*ps = append(*ps, point{name: name, attrs: attrs, sum: v, count: 1})
}

// matching returns the points of name that carry every attribute of
// want: the recorded ones, and the observable ones as the registered
// callbacks report them now.
func (r *Recorder) matching(name string, want []attribute.KeyValue) []point {
	r.mu.Lock()
	cbs := make([]metric.Callback, 0, len(r.callbacks))
	for _, c := range r.callbacks {
		cbs = append(cbs, c.f)
	}
	ps := append([]point(nil), r.points...)
	r.mu.Unlock()
	obs := &observer{r: r}
	for _, f := range cbs {
		_ = f(context.Background(), obs)
	}
	ps = append(ps, obs.points...)
	var out []point
	for _, p := range ps {
		ok := p.name == name
		for _, kv := range want {
			v, found := p.attrs.Value(kv.Key)
			ok = ok && found && v == kv.Value
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// Value returns the sum of the measurements of the instrument name whose
// attributes include attrs (a counter's total; a gauge's current value,
// summed over matching points), and whether any point matched.
func (r *Recorder) Value(name string, attrs ...attribute.KeyValue) (float64, bool) {
	ps := r.matching(name, attrs)
	var sum float64
	for _, p := range ps {
		sum += p.sum
	}
	return sum, len(ps) > 0
}

// Count returns how many measurements of name with attrs were recorded
// (for a histogram, the number of recordings).
func (r *Recorder) Count(name string, attrs ...attribute.KeyValue) int {
	n := 0
	for _, p := range r.matching(name, attrs) {
		n += p.count
	}
	return n
}

// Spans returns the spans ended so far, in the order they ended.
func (r *Recorder) Spans() []SpanRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SpanRecord(nil), r.spans...)
}

type meter struct {
	mnoop.Meter
	r *Recorder
}

type named interface{ instrumentName() string }

type int64Counter struct {
	mnoop.Int64Counter
	r    *Recorder
	name string
}

func (c *int64Counter) Add(_ context.Context, v int64, opts ...metric.AddOption) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.add(&c.r.points, c.name, metric.NewAddConfig(opts).Attributes(), float64(v))
}

type float64Histogram struct {
	mnoop.Float64Histogram
	r    *Recorder
	name string
}

func (h *float64Histogram) Record(_ context.Context, v float64, opts ...metric.RecordOption) {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	h.r.add(&h.r.points, h.name, metric.NewRecordConfig(opts).Attributes(), v)
}

type int64Gauge struct {
	mnoop.Int64ObservableGauge
	name string
}

func (g *int64Gauge) instrumentName() string { return g.name }

type int64ObsCounter struct {
	mnoop.Int64ObservableCounter
	name string
}

func (g *int64ObsCounter) instrumentName() string { return g.name }

type float64Gauge struct {
	mnoop.Float64ObservableGauge
	name string
}

func (g *float64Gauge) instrumentName() string { return g.name }

func (m *meter) Int64Counter(name string, _ ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return &int64Counter{r: m.r, name: name}, nil
}

func (m *meter) Float64Histogram(name string, _ ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return &float64Histogram{r: m.r, name: name}, nil
}

func (m *meter) Int64ObservableGauge(name string, _ ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	return &int64Gauge{name: name}, nil
}

func (m *meter) Int64ObservableCounter(name string, _ ...metric.Int64ObservableCounterOption) (metric.Int64ObservableCounter, error) {
	return &int64ObsCounter{name: name}, nil
}

func (m *meter) Float64ObservableGauge(name string, _ ...metric.Float64ObservableGaugeOption) (metric.Float64ObservableGauge, error) {
	return &float64Gauge{name: name}, nil
}

func (m *meter) RegisterCallback(f metric.Callback, _ ...metric.Observable) (metric.Registration, error) {
	m.r.mu.Lock()
	defer m.r.mu.Unlock()
	id := m.r.next
	m.r.next++
	m.r.callbacks[id] = registered{f: f}
	return &registration{r: m.r, id: id}, nil
}

type registration struct {
	membedded.Registration
	r  *Recorder
	id int
}

func (g *registration) Unregister() error {
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	delete(g.r.callbacks, g.id)
	return nil
}

type observer struct {
	membedded.Observer
	r      *Recorder
	points []point
}

func (o *observer) ObserveFloat64(inst metric.Float64Observable, v float64, opts ...metric.ObserveOption) {
	if n, ok := inst.(named); ok {
		o.r.add(&o.points, n.instrumentName(), metric.NewObserveConfig(opts).Attributes(), v)
	}
}

func (o *observer) ObserveInt64(inst metric.Int64Observable, v int64, opts ...metric.ObserveOption) {
	if n, ok := inst.(named); ok {
		o.r.add(&o.points, n.instrumentName(), metric.NewObserveConfig(opts).Attributes(), float64(v))
	}
}

type tracer struct {
	tembedded.Tracer
	r *Recorder
}

func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	parent := trace.SpanContextFromContext(ctx)
	if cfg.NewRoot() {
		parent = trace.SpanContext{}
	}
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = crand.Read(sid[:])
	if parent.IsValid() {
		tid = parent.TraceID()
	} else {
		_, _ = crand.Read(tid[:])
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	s := &span{r: t.r, rec: SpanRecord{Name: name, Context: sc, Parent: parent, Kind: cfg.SpanKind()}}
	return trace.ContextWithSpan(ctx, s), s
}

type span struct {
	tnoop.Span
	r     *Recorder
	mu    sync.Mutex
	rec   SpanRecord
	ended bool
}

func (s *span) SpanContext() trace.SpanContext { return s.rec.Context }
func (s *span) IsRecording() bool              { return true }

func (s *span) SetStatus(c codes.Code, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec.Status = c
}

func (s *span) End(...trace.SpanEndOption) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	rec := s.rec
	s.mu.Unlock()
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.spans = append(s.r.spans, rec)
}
