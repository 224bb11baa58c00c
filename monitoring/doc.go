// Package monitoring turns a libgossip member's counters and events into
// OpenTelemetry metrics and traces, sets up structured logs, serves health
// checks and a live cluster dashboard.
//
// It is the only library-side place that wires the OpenTelemetry SDK and
// exporters; gossip, net, utils and cluster use the OpenTelemetry API at
// most (a test holds them to it).
//
// # Metrics
//
// Instrument observes one gossip.Node:
//
//	tel, shutdown, err := monitoring.Setup(ctx, monitoring.Config{Prometheus: true, MemberID: id})
//	defer shutdown(ctx)
//	mon, err := monitoring.Instrument(node,
//		monitoring.WithMeterProvider(tel.MeterProvider),
//		monitoring.WithTracerProvider(tel.TracerProvider),
//		monitoring.WithTransport(transport)) // a *net.Transport: wire-level counters
//	defer mon.Close()
//	http.Handle("/metrics", tel.MetricsHandler)
//
// Counters and gauges are observed from one Node.Stats and one Node.Members
// call per collection, so an idle exporter costs nothing; events are counted
// as they arrive on the monitor's own subscription. The instruments, all
// under libgossip.* with UCUM units, are named by the Metric* constants:
// members by state and each member's state, the local health (awareness)
// score, probes (direct, failed, indirect), suspicions raised and refuted,
// failures declared and observed (by origin when the event carries it),
// messages and bytes sent and received, malformed, stale and misdirected
// messages, push-pulls, send, stream and decode errors, update and broadcast
// queues and their drops, events by type and events the monitor lost, and
// with WithTransport the transport's packets, bytes and streams per
// direction, drops per reason and authentication failures, and with
// WithProbeTimer (a transport middleware) the probe round-trip histogram. In Prometheus the
// dots become underscores and counters end in _total
// (libgossip_probes_failed_total).
//
// # Traces
//
// Monitor.Join, Monitor.Leave and Monitor.Broadcast run the node's call in a
// span. A broadcast carries its span context in front of the payload (Wrap,
// Unwrap, Open; Broadcast for a caller with its own span), and every
// instrumented receiver records a child span, so a request can be followed
// from member to member. A join publishes its traceparent in the joiner's
// metadata (TraceMetaKey), and each member that learns of the join records
// a child span of it.
//
// # Logs, health, dashboard
//
// NewLogger builds a log/slog logger (level, text or JSON, the member id on
// every record) to hand to the libraries. NewHealth serves /healthz and
// /readyz; readiness combines the member's own state with registered
// Checkers (cluster services satisfy the interface). NewDashboard serves a
// one-page live view of the cluster (embedded files, no external resources,
// updates over Server-Sent Events).
package monitoring
