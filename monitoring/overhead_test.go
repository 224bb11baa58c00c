//go:build unix

package monitoring_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/libgossip/libgossip/monitoring"
)

// cpuTime is the process's user plus system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOverhead measures the CPU a running N = 64 cluster (memnet, local
// preset) costs per member-second, without monitoring and with every member
// instrumented on one SDK whose Prometheus endpoint is not scraped, scraped
// every 15 s (Prometheus's usual interval; one scrape per window) or every
// second. Each iteration runs the formed cluster for 15 s of wall time; the
// figure is the process's CPU time per member-second, cpu-ms/member-s.
//
//	go test -run '^$' -bench Overhead -count 5 ./monitoring
func BenchmarkOverhead(b *testing.B) {
	for _, tc := range []struct {
		name         string
		instrumented bool
		scrape       time.Duration
	}{
		{"plain", false, 0},
		{"instrumented/scrape=none", true, 0},
		{"instrumented/scrape=15s", true, 15 * time.Second},
		{"instrumented/scrape=1s", true, time.Second},
	} {
		b.Run(tc.name+"/N=64", func(b *testing.B) { overhead(b, 64, tc.instrumented, tc.scrape) })
	}
}

func overhead(b *testing.B, n int, instrumented bool, scrape time.Duration) {
	var tel *monitoring.Telemetry
	co := clusterOpts{}
	if instrumented {
		var shutdown func(context.Context) error
		var err error
		tel, shutdown, err = monitoring.Setup(context.Background(), monitoring.Config{Prometheus: true})
		if err != nil {
			b.Fatal(err)
		}
		defer shutdown(context.Background())
		co.monOpts = func(i int) []monitoring.Option {
			return []monitoring.Option{monitoring.WithMeterProvider(tel.MeterProvider), monitoring.WithTracerProvider(tel.TracerProvider),
				monitoring.WithAttributes(attribute.String("member.id", fmt.Sprintf("node-%d", i+1)))}
		}
	} else {
		co.noMonitor = true
	}
	newClusterTB(b, n, co)
	const window = 15 * time.Second
	var perMemberSec []float64
	for b.Loop() {
		start, cpu0 := time.Now(), cpuTime(b)
		end := time.NewTimer(window + 200*time.Millisecond) // the 15 s scrape falls inside
		var scrapes <-chan time.Time
		if scrape > 0 {
			tick := time.NewTicker(scrape)
			defer tick.Stop()
			scrapes = tick.C
		}
	wait:
		for {
			select {
			case <-end.C:
				break wait
			case <-scrapes:
				rec := httptest.NewRecorder()
				tel.MetricsHandler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("scrape: %d", rec.Code)
				}
			}
		}
		cpu, wall := cpuTime(b)-cpu0, time.Since(start)
		perMemberSec = append(perMemberSec, float64(cpu.Milliseconds())/(float64(n)*wall.Seconds()))
	}
	sort.Float64s(perMemberSec)
	b.ReportMetric(perMemberSec[len(perMemberSec)/2], "cpu-ms/member-s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkScrape measures the CPU one Prometheus scrape of 64
// instrumented members costs (each member's series, member.state included),
// with less noise than comparing two cluster runs: in one running cluster it
// alternates windows without scrapes and windows with a scrape every 250 ms,
// and takes the median difference. It reports the CPU per scrape
// (cpu-ms/scrape), the cluster's own CPU per member-second between scrapes
// (cpu-ms/member-s), and what scraping every 15 s adds to it (%-at-15s).
//
//	go test -run '^$' -bench Scrape -benchtime 6x ./monitoring
func BenchmarkScrape(b *testing.B) {
	const n = 64
	tel, shutdown, err := monitoring.Setup(context.Background(), monitoring.Config{Prometheus: true})
	if err != nil {
		b.Fatal(err)
	}
	defer shutdown(context.Background())
	newClusterTB(b, n, clusterOpts{monOpts: func(i int) []monitoring.Option {
		return []monitoring.Option{monitoring.WithMeterProvider(tel.MeterProvider),
			monitoring.WithAttributes(attribute.String("member.id", fmt.Sprintf("node-%d", i+1)))}
	}})
	scrape := func() {
		rec := httptest.NewRecorder()
		tel.MetricsHandler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("scrape: %d", rec.Code)
		}
	}
	const window, every = 3 * time.Second, 250 * time.Millisecond
	// run returns the CPU of one window and how many scrapes it made.
	run := func(scrapes bool) (time.Duration, int) {
		cpu0 := cpuTime(b)
		tick := time.NewTicker(every)
		defer tick.Stop()
		end := time.After(window)
		k := 0
		for {
			select {
			case <-end:
				return cpuTime(b) - cpu0, k
			case <-tick.C:
				if scrapes {
					scrape()
					k++
				}
			}
		}
	}
	var perScrape, base []float64
	for b.Loop() {
		quiet, _ := run(false)
		busy, k := run(true)
		perScrape = append(perScrape, float64((busy-quiet).Microseconds())/1000/float64(k))
		base = append(base, float64(quiet.Microseconds())/1000/(float64(n)*window.Seconds()))
	}
	sort.Float64s(perScrape)
	sort.Float64s(base)
	ps, bs := perScrape[len(perScrape)/2], base[len(base)/2]
	b.ReportMetric(ps, "cpu-ms/scrape")
	b.ReportMetric(bs, "cpu-ms/member-s")
	b.ReportMetric(100*ps/15/(bs*n), "%-at-15s")
	b.ReportMetric(0, "ns/op")
}
