package monitoring_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/monitoring"
)

// scrape fetches url and parses the Prometheus text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// memberStates reads libgossip_member_state into id -> state.
func memberStates(fams map[string]*dto.MetricFamily) map[string]string {
	out := map[string]string{}
	if f := fams["libgossip_member_state"]; f != nil {
		for _, m := range f.GetMetric() {
			if m.GetGauge().GetValue() == 1 {
				out[label(m, "member_id")] = label(m, "state")
			}
		}
	}
	return out
}

// value returns the value of the family's sample whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			if label(m, k) != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// TestPrometheusMembers scrapes /metrics of a running 5-member cluster: the
// member-state gauges match Members(), and a crash moves the member from
// alive to failed.
func TestPrometheusMembers(t *testing.T) {
	tel, shutdown, err := monitoring.Setup(context.Background(), monitoring.Config{Prometheus: true, MemberID: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	c := newCluster(t, 5, clusterOpts{sockets: true, monOpts: func(i int) []monitoring.Option {
		if i == 0 {
			return []monitoring.Option{monitoring.WithMeterProvider(tel.MeterProvider)}
		}
		return nil
	}})
	srv := httptest.NewServer(tel.MetricsHandler)
	defer srv.Close()
	obs := c.members[0].node

	fams := scrape(t, srv.URL)
	got := memberStates(fams)
	want := map[string]string{}
	for _, v := range obs.Members() {
		want[v.ID] = monitoring.StateName(v.State)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("libgossip_member_state = %v, Members() = %v", got, want)
	}
	if v, _ := value(fams, "libgossip_members", map[string]string{"state": "alive"}); v != 5 {
		t.Errorf("libgossip_members{state=alive} = %v, want 5", v)
	}
	for _, name := range []string{"libgossip_probes_total", "libgossip_messages_sent_total", "libgossip_bytes_sent_total",
		"libgossip_transport_packets_total", "libgossip_transport_drops_total", "libgossip_health_score", "libgossip_events_total"} {
		if fams[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if v, ok := value(fams, "libgossip_events_total", map[string]string{"type": "join"}); !ok || v < 4 {
		t.Errorf("libgossip_events_total{type=join} = %v, want >= 4", v)
	}
	if v, _ := value(fams, "libgossip_transport_packets_total", map[string]string{"direction": "in"}); v == 0 {
		t.Error("no inbound transport packets counted")
	}

	c.crash(4)
	start := time.Now()
	c.waitFor(20*time.Second, "node-5 failed in /metrics", func() bool {
		return memberStates(scrape(t, srv.URL))["node-5"] == "failed"
	})
	t.Logf("node-5 reported failed in /metrics %v after the crash", time.Since(start).Round(time.Millisecond))
	fams = scrape(t, srv.URL)
	if s, _ := stateOf(obs, "node-5"); s != gossip.StateDead {
		t.Errorf("Members() says node-5 is %v", s)
	}
	if v, _ := value(fams, "libgossip_members", map[string]string{"state": "alive"}); v != 4 {
		t.Errorf("after the crash libgossip_members{state=alive} = %v, want 4", v)
	}
	if v, _ := value(fams, "libgossip_members", map[string]string{"state": "failed"}); v != 1 {
		t.Errorf("after the crash libgossip_members{state=failed} = %v, want 1", v)
	}
	local, _ := value(fams, "libgossip_failures_observed_total", map[string]string{"origin": "local"})
	learned, _ := value(fams, "libgossip_failures_observed_total", map[string]string{"origin": "gossip"})
	if local+learned != 1 {
		t.Errorf("libgossip_failures_observed_total: local %v + gossip %v, want 1 in all", local, learned)
	}
	var help strings.Builder
	for _, name := range []string{"libgossip_member_state", "libgossip_probes_failed_total"} {
		if fams[name].GetHelp() == "" {
			fmt.Fprintf(&help, " %s", name)
		}
	}
	if help.Len() > 0 {
		t.Errorf("no description on:%s", help.String())
	}
}
