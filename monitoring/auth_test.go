package monitoring_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/monitoring"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
)

func keyring(t *testing.T, b byte) *security.Keyring {
	k, err := security.NewKey(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r, err := security.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sum(d metricdata.Aggregation) int64 {
	var n int64
	if s, ok := d.(metricdata.Sum[int64]); ok {
		for _, dp := range s.DataPoints {
			n += dp.Value
		}
	}
	return n
}

// TestAuthFailures: packets under the wrong key are counted by the
// transport and reported as libgossip.transport.auth.failures and as
// libgossip.transport.drops{reason=auth}.
func TestAuthFailures(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tr, err := lgnet.New("udp://127.0.0.1:0", lgnet.WithKeyring(keyring(t, 1)), lgnet.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	cfg := gossip.LocalConfig()
	cfg.ID = "guarded"
	node, err := gossip.New(cfg, tr, gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	mon, err := monitoring.Instrument(node, monitoring.WithMeterProvider(mp), monitoring.WithTransport(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer node.Shutdown(context.Background())

	intruder, err := lgnet.New("udp://127.0.0.1:0", lgnet.WithKeyring(keyring(t, 2)), lgnet.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := intruder.Start(ctx, discard{}); err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	target := node.LocalNode().Addr
	gossiptest.WaitFor(t, 10*time.Second, "auth failures counted", func() bool {
		_ = intruder.WritePacket(ctx, target, []byte("not for you"))
		got := collect(t, reader)
		return sum(got[monitoring.MetricAuthFailures]) > 0
	})
	got := collect(t, reader)
	drops, ok := got[monitoring.MetricTransportDrops].(metricdata.Sum[int64])
	if !ok {
		t.Fatal("no transport drops")
	}
	var auth int64
	for _, dp := range drops.DataPoints {
		if r, _ := dp.Attributes.Value("reason"); r.AsString() == "auth" {
			auth = dp.Value
		}
	}
	if auth == 0 || auth != sum(got[monitoring.MetricAuthFailures]) {
		t.Errorf("drops{reason=auth} = %d, auth failures = %d", auth, sum(got[monitoring.MetricAuthFailures]))
	}
}

// discard is a gossip.Handler that drops everything.
type discard struct{}

func (discard) HandlePacket(gossip.Packet) {}
func (discard) HandleStream(conn net.Conn) {}
