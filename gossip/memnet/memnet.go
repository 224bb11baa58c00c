package memnet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

// Errors returned by transports.
var (
	// ErrUnreachable reports a destination that is not on the network,
	// closed, or cut off.
	ErrUnreachable = errors.New("memnet: address unreachable")
	// ErrAddrInUse reports a second transport with the same address.
	ErrAddrInUse = errors.New("memnet: address in use")
	// ErrClosed reports use of a closed transport.
	ErrClosed = errors.New("memnet: transport closed")
	// ErrTooLarge reports a packet over PacketSize.
	ErrTooLarge = errors.New("memnet: packet too large")
	// ErrStarted reports a second Start.
	ErrStarted = errors.New("memnet: transport already started")
	// ErrNotStarted reports use of a transport before Start.
	ErrNotStarted = errors.New("memnet: transport not started")
)

// DefaultPacketSize is the packet size of memnet transports, in bytes.
const DefaultPacketSize = 1400

// Network connects transports by address.
type Network struct {
	mu    sync.Mutex
	nodes map[string]*Transport
	cut   map[string]bool
	loss  float64
	rng   *rand.Rand
}

// New returns an empty network; seed drives packet loss.
func New(seed uint64) *Network {
	return &Network{nodes: map[string]*Transport{}, cut: map[string]bool{}, rng: rand.New(rand.NewPCG(seed, 1))}
}

// SetLoss sets the probability, in [0, 1], that a packet is dropped.
func (n *Network) SetLoss(p float64) {
	n.mu.Lock()
	n.loss = p
	n.mu.Unlock()
}

// Cut isolates addr (true) or reconnects it (false): nothing reaches it and
// nothing it sends arrives.
func (n *Network) Cut(addr string, cut bool) {
	n.mu.Lock()
	n.cut[addr] = cut
	n.mu.Unlock()
}

// Transport returns a transport for addr on this network. It joins the
// network on Start.
func (n *Network) Transport(addr string) *Transport {
	return &Transport{net: n, addr: addr, conns: map[net.Conn]struct{}{}}
}

func (n *Network) route(from, to string) (*Transport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.nodes[to]
	if !ok || n.cut[to] || n.cut[from] {
		return nil, fmt.Errorf("%w: %s", ErrUnreachable, to)
	}
	return t, nil
}

func (n *Network) drop() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.loss > 0 && n.rng.Float64() < n.loss
}

// Transport is one member's attachment to a Network. It implements
// gossip.Transport: packets are handed to the receiver's Handler on the
// sender's goroutine, and each stream is served on a goroutine of the
// receiver's.
type Transport struct {
	net  *Network
	addr string

	mu      sync.Mutex
	h       gossip.Handler
	started bool
	closed  bool
	conns   map[net.Conn]struct{} // inbound streams being served
	wg      sync.WaitGroup        // handler calls in progress
}

var _ gossip.Transport = (*Transport)(nil)

// Start attaches the transport to its network and starts delivering to h.
func (t *Transport) Start(ctx context.Context, h gossip.Handler) error {
	if h == nil {
		return errors.New("memnet: nil handler")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if t.started {
		return fmt.Errorf("%w: %s", ErrStarted, t.addr)
	}
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	if _, dup := t.net.nodes[t.addr]; dup {
		return fmt.Errorf("%w: %s", ErrAddrInUse, t.addr)
	}
	t.net.nodes[t.addr] = t
	t.h = h
	t.started = true
	return nil
}

// Addr returns the transport's address.
func (t *Transport) Addr() string { return t.addr }

// PacketSize returns DefaultPacketSize.
func (t *Transport) PacketSize() int { return DefaultPacketSize }

func (t *Transport) usable() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed:
		return ErrClosed
	case !t.started:
		return ErrNotStarted
	}
	return nil
}

// WritePacket hands a copy of b to the Handler at addr unless the network
// drops it.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	if err := t.usable(); err != nil {
		return err
	}
	if len(b) > DefaultPacketSize {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dst, err := t.net.route(t.addr, addr)
	if err != nil {
		return err
	}
	if t.net.drop() {
		return nil
	}
	dst.deliver(gossip.Packet{From: t.addr, Data: append([]byte(nil), b...), Received: time.Now()})
	return nil
}

// enter registers a handler call; it fails once the transport is closed.
func (t *Transport) enter() (gossip.Handler, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || !t.started {
		return nil, false
	}
	t.wg.Add(1)
	return t.h, true
}

func (t *Transport) deliver(p gossip.Packet) {
	h, ok := t.enter()
	if !ok {
		return
	}
	defer t.wg.Done()
	h.HandlePacket(p)
}

type addr string

func (a addr) Network() string { return "memnet" }
func (a addr) String() string  { return string(a) }

type conn struct {
	net.Conn
	local, remote addr
}

func (c conn) LocalAddr() net.Addr  { return c.local }
func (c conn) RemoteAddr() net.Addr { return c.remote }

// DialStream connects to the transport at addr, whose Handler serves the
// other end on a goroutine of its own.
func (t *Transport) DialStream(ctx context.Context, to string) (net.Conn, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dst, err := t.net.route(t.addr, to)
	if err != nil {
		return nil, err
	}
	a, b := net.Pipe()
	in := conn{Conn: b, local: addr(to), remote: addr(t.addr)}
	if !dst.serve(in) {
		a.Close()
		b.Close()
		return nil, fmt.Errorf("%w: %s", ErrUnreachable, to)
	}
	return conn{Conn: a, local: addr(t.addr), remote: addr(to)}, nil
}

// serve runs the Handler on an inbound stream; false if t is closed.
func (t *Transport) serve(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || !t.started {
		return false
	}
	t.conns[c] = struct{}{}
	t.wg.Add(1)
	h := t.h
	go func() {
		defer t.wg.Done()
		defer func() {
			t.mu.Lock()
			delete(t.conns, c)
			t.mu.Unlock()
			c.Close()
		}()
		h.HandleStream(c)
	}()
	return true
}

// Close detaches the transport, closes its inbound streams and waits for
// every Handler call to return.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	if t.started {
		t.net.mu.Lock()
		if t.net.nodes[t.addr] == t {
			delete(t.net.nodes, t.addr)
		}
		t.net.mu.Unlock()
	}
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}
