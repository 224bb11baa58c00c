package monitoring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrConfig wraps every error of an invalid Config.
var ErrConfig = errors.New("monitoring: invalid config")

// Config says which exporters Setup wires. The zero value is valid: metrics
// and traces are recorded but exported nowhere.
type Config struct {
	// ServiceName is the service.name resource attribute. Default
	// "libgossip".
	ServiceName string
	// MemberID is the service.instance.id resource attribute, usually the
	// member's id. Default: none.
	MemberID string
	// Prometheus builds a pull exporter served by Telemetry.MetricsHandler
	// (the /metrics endpoint) from a registry of its own. Default off.
	Prometheus bool
	// OTLPEndpoint is the base URL of an OTLP/HTTP receiver, such as
	// "http://127.0.0.1:4318"; metrics go to /v1/metrics and traces to
	// /v1/traces below it. An http URL is sent in clear. Default: no OTLP.
	OTLPEndpoint string
	// OTLPHeaders are added to every OTLP request (for authentication).
	OTLPHeaders map[string]string
	// Stdout, when set, receives metrics and spans as JSON lines, for
	// development. Default nil.
	Stdout io.Writer
	// ExportInterval is how often metrics are pushed to OTLP and Stdout.
	// Default 10s.
	ExportInterval time.Duration
	// SampleRatio is the fraction of new traces sampled (0 < r <= 1); child
	// spans follow their parent's decision. Default 1 (every trace).
	SampleRatio float64
}

// Telemetry holds the SDK providers Setup built. Hand the providers to
// Instrument (WithMeterProvider, WithTracerProvider) and to any library
// that takes them; they are safe for concurrent use.
type Telemetry struct {
	once sync.Once
	err  error
	// MeterProvider is the metrics SDK with every configured reader.
	MeterProvider *sdkmetric.MeterProvider
	// TracerProvider is the tracing SDK with every configured exporter.
	TracerProvider *sdktrace.TracerProvider
	// MetricsHandler serves the Prometheus text format (mount it at
	// /metrics); nil unless Config.Prometheus.
	MetricsHandler http.Handler
}

// Shutdown flushes and stops both providers, bounded by ctx. It is the
// function Setup returns; calling it twice is harmless.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		t.err = errors.Join(t.TracerProvider.Shutdown(ctx), t.MeterProvider.Shutdown(ctx))
	})
	return t.err
}

func (c *Config) fill() error {
	if c.ServiceName == "" {
		c.ServiceName = "libgossip"
	}
	if c.ExportInterval == 0 {
		c.ExportInterval = 10 * time.Second
	}
	if c.ExportInterval < 0 {
		return fmt.Errorf("%w: ExportInterval %v is negative", ErrConfig, c.ExportInterval)
	}
	if c.SampleRatio == 0 {
		c.SampleRatio = 1
	}
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		return fmt.Errorf("%w: SampleRatio %v is outside (0, 1]", ErrConfig, c.SampleRatio)
	}
	if c.OTLPEndpoint != "" {
		u, err := url.Parse(c.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: OTLPEndpoint %q is not an http(s) URL", ErrConfig, c.OTLPEndpoint)
		}
	}
	return nil
}

// Setup builds the OpenTelemetry SDK for a program: a MeterProvider and a
// TracerProvider with the exporters cfg asks for, and a resource naming the
// service and member. It does not install them as globals (a program may
// call otel.SetMeterProvider itself). It returns the providers and the
// function that flushes and stops them; on error nothing is left running.
// Setup does not block on the network: OTLP exports happen in the
// background.
func Setup(ctx context.Context, cfg Config) (*Telemetry, func(context.Context) error, error) {
	if err := cfg.fill(); err != nil {
		return nil, nil, err
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.ServiceName)}
	if cfg.MemberID != "" {
		attrs = append(attrs, attribute.String("service.instance.id", cfg.MemberID))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, nil, fmt.Errorf("monitoring: resource: %w", err)
	}
	t := &Telemetry{}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	topts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	}
	if cfg.Prometheus {
		reg := prometheus.NewRegistry()
		exp, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, nil, fmt.Errorf("monitoring: prometheus: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(exp))
		t.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	if cfg.OTLPEndpoint != "" {
		base := strings.TrimRight(cfg.OTLPEndpoint, "/")
		mexp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(base+"/v1/metrics"),
			otlpmetrichttp.WithHeaders(cfg.OTLPHeaders))
		if err != nil {
			return nil, nil, fmt.Errorf("monitoring: otlp metrics: %w", err)
		}
		texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(base+"/v1/traces"),
			otlptracehttp.WithHeaders(cfg.OTLPHeaders))
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("monitoring: otlp traces: %w", err), mexp.Shutdown(ctx))
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(cfg.ExportInterval))))
		topts = append(topts, sdktrace.WithBatcher(texp))
	}
	if cfg.Stdout != nil {
		mexp, err := stdoutmetric.New(stdoutmetric.WithWriter(cfg.Stdout))
		if err != nil {
			return nil, nil, fmt.Errorf("monitoring: stdout metrics: %w", err)
		}
		texp, err := stdouttrace.New(stdouttrace.WithWriter(cfg.Stdout))
		if err != nil {
			return nil, nil, fmt.Errorf("monitoring: stdout traces: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(cfg.ExportInterval))))
		topts = append(topts, sdktrace.WithSyncer(texp))
	}
	t.MeterProvider = sdkmetric.NewMeterProvider(mopts...)
	t.TracerProvider = sdktrace.NewTracerProvider(topts...)
	return t, t.Shutdown, nil
}
