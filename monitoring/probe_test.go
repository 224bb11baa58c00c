package monitoring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/monitoring"
)

// TestProbeRTT times real probes in a 3-member cluster: the histogram gets
// samples, each member has a round-trip time, and the dashboard shows them.
func TestProbeRTT(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	net := memnet.New(5)
	var nodes []*gossip.Node
	var mons []*monitoring.Monitor
	defer func() {
		for i, n := range nodes {
			_ = n.Shutdown(context.Background())
			_ = mons[i].Close()
		}
	}()
	for i := range 3 {
		cfg := gossip.LocalConfig()
		cfg.ID = fmt.Sprintf("node-%d", i+1)
		pt := monitoring.NewProbeTimer()
		n, err := gossip.New(cfg, gossip.Chain(net.Transport(cfg.ID), pt.Middleware), gossip.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		opts := []monitoring.Option{monitoring.WithProbeTimer(pt)}
		if i == 0 {
			opts = append(opts, monitoring.WithMeterProvider(mp))
		}
		mon, err := monitoring.Instrument(n, opts...)
		if err != nil {
			t.Fatal(err)
		}
		nodes, mons = append(nodes, n), append(mons, mon)
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if err := n.Join(ctx, nodes[0].LocalNode().Addr); err != nil {
				t.Fatal(err)
			}
		}
	}
	gossiptest.WaitFor(t, 20*time.Second, "node-1 has timed probes to node-2 and node-3", func() bool {
		_, a := mons[0].ProbeRTT("node-2")
		_, b := mons[0].ProbeRTT("node-3")
		return a && b
	})
	if d, _ := mons[0].ProbeRTT("node-2"); d <= 0 || d > 5*time.Second {
		t.Errorf("rtt to node-2 = %v", d)
	}
	if _, ok := mons[0].ProbeRTT("node-1"); ok {
		t.Error("a round trip to itself")
	}
	h, ok := collect(t, reader)[monitoring.MetricProbeRTT].(metricdata.Histogram[float64])
	if !ok || len(h.DataPoints) != 1 || h.DataPoints[0].Count == 0 {
		t.Fatalf("probe rtt histogram: %+v", h)
	}
	if dp := h.DataPoints[0]; dp.Sum <= 0 || dp.Sum/float64(dp.Count) > 5 {
		t.Errorf("histogram count %d sum %v s", dp.Count, dp.Sum)
	}
	dash, _ := monitoring.NewDashboard(mons)
	defer dash.Close()
	for _, m := range dash.Snapshot().Members {
		if (m.RTT > 0) != (m.ID != "node-1") {
			t.Errorf("dashboard: %s rtt %v ms", m.ID, m.RTT)
		}
	}
	var plain monitoring.Monitor
	if _, ok := plain.ProbeRTT("x"); ok {
		t.Error("a monitor without a probe timer reports a round trip")
	}
}

// FuzzProbeTimer feeds arbitrary packets both ways: no panic, every packet
// still reaches the handler, and only wire packets are timed.
func FuzzProbeTimer(f *testing.F) {
	f.Add(wire.Encode(&wire.Ping{Seq: 7, Source: "a", Target: "b"}), wire.Encode(&wire.Ack{Seq: 7}))
	f.Add(wire.Encode(&wire.Ping{Seq: 1, Source: "a", Target: "b"}, &wire.Ack{Seq: 2}), wire.Encode(&wire.Nack{Seq: 1}, &wire.Ack{Seq: 1}))
	f.Add([]byte{1, 1, 0x80}, []byte{1, 2, 5, 1})
	f.Add([]byte{}, []byte{0xff})
	f.Fuzz(func(t *testing.T, out, in []byte) {
		pt := monitoring.NewProbeTimer()
		var h recorder
		tr := pt.Middleware(&loop{in: in, h: &h})
		if err := tr.Start(context.Background(), &h); err != nil {
			t.Fatal(err)
		}
		_ = tr.WritePacket(context.Background(), "peer", out)
		if _, ok := pt.RTT("b"); ok && (len(out) == 0 || out[0] != wire.Version || len(in) == 0 || in[0] != wire.Version) {
			t.Fatalf("timed a probe from packets that are not wire packets: %x, %x", out, in)
		}
		if h.n != 1 {
			t.Fatalf("handler got %d packets, want 1", h.n)
		}
	})
}

// loop is a transport that answers every written packet with in.
type loop struct {
	gossip.Transport
	in []byte
	h  gossip.Handler
}

func (l *loop) Start(_ context.Context, h gossip.Handler) error { l.h = h; return nil }
func (l *loop) WritePacket(context.Context, string, []byte) error {
	l.h.HandlePacket(gossip.Packet{From: "peer", Data: append([]byte(nil), l.in...), Received: time.Now()})
	return nil
}

type recorder struct {
	gossip.Handler
	n int
}

func (r *recorder) HandlePacket(gossip.Packet) { r.n++ }

// BenchmarkProbeTimer is what the middleware adds per probe: a ping with
// piggybacked gossip going out and its ack with gossip coming back, through
// a loopback fake transport, with and without the timer.
func BenchmarkProbeTimer(b *testing.B) {
	gossipMsgs := []wire.Message{
		&wire.Alive{Incarnation: 3, ID: "node-17", Addr: "10.0.0.17:7946"},
		&wire.Suspect{Incarnation: 2, ID: "node-9", From: "node-4"},
		&wire.Dead{Incarnation: 5, ID: "node-30", From: "node-2"},
	}
	const pairs = 1024
	var pings, acks [pairs][]byte
	for i := range pairs {
		pings[i] = wire.Encode(append([]wire.Message{&wire.Ping{Seq: uint32(i), Source: "node-1", Target: "node-2"}}, gossipMsgs...)...)
		acks[i] = wire.Encode(append([]wire.Message{&wire.Ack{Seq: uint32(i)}}, gossipMsgs...)...)
	}
	for _, timed := range []bool{false, true} {
		name := "plain"
		if timed {
			name = "timed"
		}
		b.Run(name, func(b *testing.B) {
			var h recorder
			fake := &loop{}
			var tr gossip.Transport = fake
			if timed {
				tr = monitoring.NewProbeTimer().Middleware(fake)
			}
			if err := tr.Start(context.Background(), &h); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				fake.in = acks[i%pairs]
				_ = tr.WritePacket(context.Background(), "peer", pings[i%pairs])
				i++
			}
		})
	}
}
