package monitoring_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libgossip/libgossip/monitoring"
)

// TestPrometheusStreamsAndDials scrapes libgossip_streams_sent_total and
// libgossip_dials_skipped_total from a member of a 5-member cluster after
// one member went silent, so that its probes fall back to stream pings.
// Each scraped counter must lie between the Stats() snapshots taken just
// before and just after the scrape; streams sent must be non-zero. (A
// skipped dial was not seen on memnet within 20 s, so the dials counter may
// be 0 here; core's TestDialBackoff covers the counting itself.)
func TestPrometheusStreamsAndDials(t *testing.T) {
	tel, shutdown, err := monitoring.Setup(context.Background(), monitoring.Config{Prometheus: true, MemberID: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	c := newCluster(t, 5, clusterOpts{monOpts: func(i int) []monitoring.Option {
		if i == 0 {
			return []monitoring.Option{monitoring.WithMeterProvider(tel.MeterProvider)}
		}
		return nil
	}})
	srv := httptest.NewServer(tel.MetricsHandler)
	defer srv.Close()
	obs := c.members[0].node

	c.net.Cut("node-5", true)
	c.waitFor(20*time.Second, "a stream ping to the silent member", func() bool {
		return obs.Stats().StreamsOut > 0
	})
	before := obs.Stats()
	fams := scrape(t, srv.URL)
	after := obs.Stats()
	for _, tt := range []struct {
		name          string
		before, after uint64
		nonZero       bool
	}{
		{"libgossip_streams_sent_total", before.StreamsOut, after.StreamsOut, true},
		{"libgossip_dials_skipped_total", before.DialsSkipped, after.DialsSkipped, false},
	} {
		got, ok := value(fams, tt.name, nil)
		switch {
		case !ok:
			t.Errorf("no %s in /metrics", tt.name)
		case tt.nonZero && tt.before == 0:
			t.Errorf("%s: Stats() counted none before the scrape", tt.name)
		case got < float64(tt.before) || got > float64(tt.after):
			t.Errorf("%s = %v, want between the Stats() values %d and %d around the scrape", tt.name, got, tt.before, tt.after)
		}
		if f := fams[tt.name]; f != nil && f.GetHelp() == "" {
			t.Errorf("%s has no description", tt.name)
		}
	}
}
