package gossip_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// counting is a Middleware that counts the packets its transport sends
// and receives, without goroutines or queues of its own.
type counting struct {
	gossip.Transport
	name    string
	trace   *[]string
	in, out atomic.Int64
}

func countingMW(name string, trace *[]string) gossip.Middleware {
	return func(inner gossip.Transport) gossip.Transport {
		return &counting{Transport: inner, name: name, trace: trace}
	}
}

func (c *counting) Start(ctx context.Context, h gossip.Handler) error {
	*c.trace = append(*c.trace, "start "+c.name)
	return c.Transport.Start(ctx, countingHandler{c, h})
}

func (c *counting) WritePacket(ctx context.Context, addr string, b []byte) error {
	c.out.Add(1)
	return c.Transport.WritePacket(ctx, addr, b)
}

type countingHandler struct {
	c    *counting
	next gossip.Handler
}

func (h countingHandler) HandlePacket(p gossip.Packet) {
	h.c.in.Add(1)
	h.next.HandlePacket(p)
}

func (h countingHandler) HandleStream(conn net.Conn) { h.next.HandleStream(conn) }

// Chain applies middleware first-outermost: Start runs through them in
// order, and the innermost one's Handler sees each packet first.
func ExampleChain() {
	var trace []string
	nw := memnet.New(1)
	a := gossip.Chain(nw.Transport("a"), countingMW("outer", &trace), nil, countingMW("inner", &trace))
	b := nw.Transport("b")
	sink := gossiptest.NewSink()
	ctx := context.Background()
	_ = a.Start(ctx, sink)
	_ = b.Start(ctx, gossiptest.NewSink())
	defer a.Close()
	defer b.Close()
	_ = b.WritePacket(ctx, "a", []byte("hi"))
	p := <-sink.Packets()
	fmt.Println(trace, string(p.Data), a.(*counting).in.Load())
	// Output:
	// [start outer start inner] hi 1
}

func TestChainEmpty(t *testing.T) {
	tr := memnet.New(1).Transport("x")
	if gossip.Chain(tr) != gossip.Transport(tr) || gossip.Chain(tr, nil) != gossip.Transport(tr) {
		t.Fatal("Chain without middleware must return the transport itself")
	}
}
