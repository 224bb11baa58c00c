package fault

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/libgossip/libgossip/gossip"
)

// Gossip wraps a gossip.Transport with an Injector. It is itself a
// gossip.Transport and is safe for concurrent use. Inbound faults are
// applied inside the inner transport's calls to the Handler; the only
// goroutines it starts carry delayed packets.
type Gossip struct {
	inner   gossip.Transport
	in      *Injector
	done    chan struct{}
	once    sync.Once
	mu      sync.RWMutex // orders delayed.Add before Close's Wait
	closed  bool
	delayed sync.WaitGroup // delayed sends
}

var (
	_ gossip.Transport       = (*Gossip)(nil)
	_ gossip.PacketTryWriter = (*Gossip)(nil)
)

// Middleware returns a gossip.Middleware that applies in's faults.
func Middleware(in *Injector) gossip.Middleware {
	return func(inner gossip.Transport) gossip.Transport { return WrapGossip(inner, in) }
}

// WrapGossip returns inner with in's faults applied. The wrapper owns
// inner: it starts and closes it.
func WrapGossip(inner gossip.Transport, in *Injector) *Gossip {
	return &Gossip{inner: inner, in: in, done: make(chan struct{})}
}

// Start starts inner with a Handler that applies inbound faults before
// handing traffic to h.
func (g *Gossip) Start(ctx context.Context, h gossip.Handler) error {
	return g.inner.Start(ctx, handler{in: g.in, next: h})
}

type handler struct {
	in   *Injector
	next gossip.Handler
}

// HandlePacket drops p or passes it on.
func (h handler) HandlePacket(p gossip.Packet) {
	if !h.in.Inbound() {
		h.next.HandlePacket(p)
	}
}

// HandleStream refuses the stream (the inner transport closes it) or
// serves it with its writes counted.
func (h handler) HandleStream(c net.Conn) {
	if !h.in.Inbound() {
		h.next.HandleStream(h.in.Conn(c))
	}
}

// Addr returns inner's address.
func (g *Gossip) Addr() string { return g.inner.Addr() }

// PacketSize returns inner's packet size.
func (g *Gossip) PacketSize() int { return g.inner.PacketSize() }

// WritePacket counts b and sends it through the fault policy. A dropped
// packet reports success, as a lossy network would.
func (g *Gossip) WritePacket(ctx context.Context, addr string, b []byte) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return ErrClosed
	}
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

// TryWritePacket is WritePacket for a caller that must not wait
// (gossip.PacketTryWriter): it refuses with gossip.ErrWouldBlock, before
// counting anything, when inner cannot send without waiting at all; a
// packet inner refuses after the fault policy has counted it is carried
// by a delayed send instead, so that it is counted once.
func (g *Gossip) TryWritePacket(addr string, b []byte) error {
	tw, ok := g.inner.(gossip.PacketTryWriter)
	if !ok {
		return gossip.ErrWouldBlock
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return ErrClosed
	}
	drop, wait := g.in.Outbound(len(b))
	if drop {
		return nil
	}
	if wait <= 0 {
		err := tw.TryWritePacket(addr, b)
		if !errors.Is(err, gossip.ErrWouldBlock) {
			return err
		}
	}
	cp := append([]byte(nil), b...)
	later(&g.delayed, g.done, wait, func() { _ = g.inner.WritePacket(context.Background(), addr, cp) })
	return nil
}

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

// Close drops delayed packets, closes inner and waits for both. Close
// after Close is a no-op.
func (g *Gossip) Close() error {
	var err error
	g.once.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		close(g.done)
		g.delayed.Wait()
		err = g.inner.Close()
	})
	return err
}
