package gossip_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/gossip/wire"
)

// handlerTap passes everything through to a memnet transport and keeps
// the Handler the Node gave it, so that a test can deliver packets itself.
type handlerTap struct {
	*memnet.Transport
	h gossip.Handler
}

func (t *handlerTap) Start(ctx context.Context, h gossip.Handler) error {
	t.h = h
	return t.Transport.Start(ctx, h)
}

// gateCodec is the binary codec with a Decode that waits at a gate while
// it is closed, holding the protocol goroutine, and counts its calls.
type gateCodec struct {
	gossip.BinaryCodec
	gate    chan struct{}
	decoded atomic.Int64
	held    chan struct{} // signalled when a Decode waits at the gate
}

func (g *gateCodec) Name() string { return "gated-binary" }

func (g *gateCodec) Decode(b []byte) ([]wire.Message, error) {
	select {
	case g.held <- struct{}{}:
	default:
	}
	<-g.gate
	g.decoded.Add(1)
	return g.BinaryCodec.Decode(b)
}

// TestInboundBound: while the protocol goroutine is held, received packets
// queue up to the inbound bound (256) and the rest are dropped and counted
// in Stats().InboundDropped; once it runs again, every queued packet is
// handled.
func TestInboundBound(t *testing.T) {
	gossiptest.Check(t)
	tap := &handlerTap{Transport: memnet.New(1).Transport("a")}
	codec := &gateCodec{gate: make(chan struct{}), held: make(chan struct{}, 1)}
	cfg := gossip.LocalConfig()
	cfg.ID = "a"
	n, err := gossip.New(cfg, tap, gossip.WithLogger(quiet), gossip.WithCodec(codec))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown(context.Background())
	ping := wire.Encode(&wire.Ping{Seq: 1, Source: "x", Target: "a"})
	tap.h.HandlePacket(gossip.Packet{From: "x", Data: ping, Received: time.Now()})
	select {
	case <-codec.held: // the loop now waits in Decode
	case <-time.After(gossiptest.Timeout):
		t.Fatal("the protocol goroutine never decoded the first packet")
	}
	const extra = 300
	for range extra {
		tap.h.HandlePacket(gossip.Packet{From: "x", Data: ping, Received: time.Now()})
	}
	if got, want := n.Stats().InboundDropped, uint64(extra-256); got != want {
		t.Errorf("InboundDropped = %d with the loop held and %d packets sent, want %d", got, extra, want)
	}
	close(codec.gate)
	gossiptest.Eventually(t, "every queued packet decoded", func() bool { return codec.decoded.Load() == 1+256 })
}
