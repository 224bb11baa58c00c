package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/monitoring"
	lgnet "github.com/libgossip/libgossip/net"
)

// observed is the demo's monitoring: one SDK setup with a Prometheus
// endpoint, a monitor per member, the dashboard and the health endpoints,
// served on one loopback address.
type observed struct {
	addr     string
	tel      *monitoring.Telemetry
	shutdown func(context.Context) error
	mons     []*monitoring.Monitor
	dash     *monitoring.Dashboard
	ln       net.Listener
	srv      *http.Server
	wg       sync.WaitGroup
}

func newObserved(ctx context.Context, addr string) (*observed, error) {
	tel, shutdown, err := monitoring.Setup(ctx, monitoring.Config{ServiceName: "libgossip-demo", Prometheus: true})
	if err != nil {
		return nil, err
	}
	return &observed{addr: addr, tel: tel, shutdown: shutdown}, nil
}

// add instruments a member with its probe timer; tr, when not nil, adds
// its socket counters.
func (o *observed) add(n *gossip.Node, tr *lgnet.Transport, pt *monitoring.ProbeTimer) error {
	opts := []monitoring.Option{
		monitoring.WithMeterProvider(o.tel.MeterProvider),
		monitoring.WithTracerProvider(o.tel.TracerProvider),
		monitoring.WithAttributes(attribute.String("member.id", n.LocalNode().ID)),
		monitoring.WithProbeTimer(pt),
	}
	if tr != nil {
		opts = append(opts, monitoring.WithTransport(tr))
	}
	m, err := monitoring.Instrument(n, opts...)
	if err != nil {
		return err
	}
	o.mons = append(o.mons, m)
	return nil
}

// serve starts the HTTP server: the dashboard at /, /metrics, and the first
// member's /healthz and /readyz.
func (o *observed) serve() error {
	dash, err := monitoring.NewDashboard(o.mons, monitoring.WithTitle("libgossip demo"))
	if err != nil {
		return err
	}
	o.dash = dash
	health := monitoring.NewHealth(o.mons[0].Node())
	mux := http.NewServeMux()
	mux.Handle("/metrics", o.tel.MetricsHandler)
	mux.Handle("/healthz", health.Healthz())
	mux.Handle("/readyz", health.Readyz())
	mux.Handle("/", dash)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w (choose another address with -http)", err)
	}
	o.ln = ln
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		_ = o.srv.Serve(ln)
	}()
	return nil
}

// url is the dashboard's address, with a trailing slash.
func (o *observed) url() string {
	if o.ln == nil {
		return ""
	}
	return "http://" + o.ln.Addr().String() + "/"
}

// keepAlive keeps the cluster busy until ctx ends: every 3 s a random live
// member sends a traced broadcast, which the others receive and record.
func (o *observed) keepAlive(ctx context.Context, live []*gossip.Node) {
	mons := map[*gossip.Node]*monitoring.Monitor{}
	for _, m := range o.mons {
		mons[m.Node()] = m
	}
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n := live[rand.IntN(len(live))]
		_ = mons[n].Broadcast(ctx, fmt.Appendf(nil, "hello #%d from %s", i, n.LocalNode().ID))
	}
}

// close stops the server, the dashboard's streams, the monitors and the SDK.
func (o *observed) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if o.dash != nil {
		o.dash.Close()
	}
	if o.srv != nil {
		_ = o.srv.Shutdown(ctx)
		o.wg.Wait()
	}
	var errs []error
	for _, m := range o.mons {
		errs = append(errs, m.Close())
	}
	errs = append(errs, o.shutdown(ctx))
	_ = errors.Join(errs...)
}
