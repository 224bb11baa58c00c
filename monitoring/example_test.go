package monitoring_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/monitoring"
)

// A member with metrics on /metrics, health checks and the dashboard.
func Example() {
	ctx := context.Background()
	tel, shutdown, err := monitoring.Setup(ctx, monitoring.Config{Prometheus: true, MemberID: "node-1"})
	if err != nil {
		panic(err)
	}
	defer shutdown(ctx)

	cfg := gossip.LocalConfig()
	cfg.ID = "node-1"
	node, _ := gossip.New(cfg, memnet.New(1).Transport("node-1"), gossip.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	mon, _ := monitoring.Instrument(node, monitoring.WithMeterProvider(tel.MeterProvider), monitoring.WithTracerProvider(tel.TracerProvider))
	defer mon.Close()
	_ = node.Start(ctx)
	defer node.Shutdown(ctx)

	health := monitoring.NewHealth(node, monitoring.WithMinMembers(1))
	dash, _ := monitoring.NewDashboard([]*monitoring.Monitor{mon})
	defer dash.Close()
	mux := http.NewServeMux()
	mux.Handle("/metrics", tel.MetricsHandler)
	mux.Handle("/healthz", health.Healthz())
	mux.Handle("/readyz", health.Readyz())
	mux.Handle("/", dash)
	srv := httptest.NewServer(mux) // a program would use http.ListenAndServe("127.0.0.1:9090", mux)
	defer srv.Close()

	resp, _ := http.Get(srv.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "libgossip_members{") && strings.Contains(line, `state="alive"`) {
			fmt.Println(line[strings.LastIndex(line, "}")+2:], "member alive")
		}
	}
	resp, _ = http.Get(srv.URL + "/readyz")
	resp.Body.Close()
	fmt.Println("readyz:", resp.StatusCode)
	// Output:
	// 1 member alive
	// readyz: 200
}

// Logs as JSON with the member id on every record.
func ExampleNewLogger() {
	log, _ := monitoring.NewLogger(os.Stdout, monitoring.LogConfig{Format: monitoring.LogJSON, MemberID: "node-1"})
	log = slog.New(dropTime{log.Handler()})
	log.Info("joined", "members", 5)
	// Output: {"level":"INFO","msg":"joined","node_id":"node-1","members":5}
}

// dropTime removes the time so that the example's output is stable.
type dropTime struct{ slog.Handler }

func (d dropTime) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(time.Time{}, r.Level, r.Message, 0)
	r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
	return d.Handler.Handle(ctx, nr)
}
