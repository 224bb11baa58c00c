package fault

import (
	"context"
	"net"
	"sync"

	"github.com/libgossip/libgossip/gossip"
)

// Gossip wraps a gossip.Transport with an Injector. It is itself a
// gossip.Transport and is safe for concurrent use.
type Gossip struct {
	inner   gossip.Transport
	in      *Injector
	packets chan gossip.Packet
	streams chan net.Conn
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup // forwarders
	delayed sync.WaitGroup // delayed sends
}

var _ gossip.Transport = (*Gossip)(nil)

// WrapGossip returns inner with in's faults applied. The wrapper owns
// inner: it starts and closes it.
func WrapGossip(inner gossip.Transport, in *Injector) *Gossip {
	return &Gossip{inner: inner, in: in, packets: make(chan gossip.Packet, 64),
		streams: make(chan net.Conn), done: make(chan struct{})}
}

// Start starts inner and the goroutines that filter its inbound traffic.
func (g *Gossip) Start(ctx context.Context) error {
	if err := g.inner.Start(ctx); err != nil {
		return err
	}
	g.wg.Add(2)
	go func() {
		defer g.wg.Done()
		for p := range g.inner.Packets() {
			if g.in.Inbound() {
				continue
			}
			select {
			case g.packets <- p:
			case <-g.done:
			}
		}
	}()
	go func() {
		defer g.wg.Done()
		for c := range g.inner.Streams() {
			if g.in.Inbound() {
				_ = c.Close()
				continue
			}
			select {
			case g.streams <- g.in.Conn(c):
			case <-g.done:
				_ = c.Close()
			}
		}
	}()
	return nil
}

// Addr returns inner's address.
func (g *Gossip) Addr() string { return g.inner.Addr() }

// PacketSize returns inner's packet size.
func (g *Gossip) PacketSize() int { return g.inner.PacketSize() }

// WritePacket counts b and sends it through the fault policy. A dropped
// packet reports success, as a lossy network would.
func (g *Gossip) WritePacket(ctx context.Context, addr string, b []byte) error {
	drop, wait := g.in.Outbound(len(b))
	if drop {
		return nil
	}
	if wait <= 0 {
		return g.inner.WritePacket(ctx, addr, b)
	}
	cp := append([]byte(nil), b...)
	later(&g.delayed, g.done, wait, func() { _ = g.inner.WritePacket(context.Background(), addr, cp) })
	return nil
}

// Packets delivers the packets that survive inbound faults.
func (g *Gossip) Packets() <-chan gossip.Packet { return g.packets }

// DialStream dials through inner unless the member is down.
func (g *Gossip) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	if err := g.in.Dial(); err != nil {
		return nil, err
	}
	c, err := g.inner.DialStream(ctx, addr)
	if err != nil {
		return nil, err
	}
	return g.in.Conn(c), nil
}

// Streams delivers accepted streams that survive inbound faults.
func (g *Gossip) Streams() <-chan net.Conn { return g.streams }

// Close closes inner, waits for the wrapper's goroutines and closes both
// channels. Close after Close is a no-op.
func (g *Gossip) Close() error {
	var err error
	g.once.Do(func() {
		close(g.done)
		g.delayed.Wait()
		err = g.inner.Close()
		g.wg.Wait()
		close(g.packets)
		close(g.streams)
	})
	return err
}
