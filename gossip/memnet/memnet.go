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
	return &Transport{
		net:     n,
		addr:    addr,
		packets: make(chan gossip.Packet, 1024),
		streams: make(chan net.Conn, 64),
		done:    make(chan struct{}),
	}
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
// gossip.Transport.
type Transport struct {
	net     *Network
	addr    string
	packets chan gossip.Packet
	streams chan net.Conn
	done    chan struct{}

	mu      sync.Mutex
	started bool
	closed  bool
}

var _ gossip.Transport = (*Transport)(nil)

// Start attaches the transport to its network.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	if _, dup := t.net.nodes[t.addr]; dup {
		return fmt.Errorf("%w: %s", ErrAddrInUse, t.addr)
	}
	t.net.nodes[t.addr] = t
	t.started = true
	return nil
}

// Addr returns the transport's address.
func (t *Transport) Addr() string { return t.addr }

// PacketSize returns DefaultPacketSize.
func (t *Transport) PacketSize() int { return DefaultPacketSize }

// WritePacket delivers a copy of b to addr unless it is dropped. A full
// receive buffer drops the packet, as a busy socket would.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	if len(b) > DefaultPacketSize {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
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

func (t *Transport) deliver(p gossip.Packet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	select {
	case t.packets <- p:
	default:
	}
}

// Packets returns the channel of received packets.
func (t *Transport) Packets() <-chan gossip.Packet { return t.packets }

// Streams returns the channel of accepted streams.
func (t *Transport) Streams() <-chan net.Conn { return t.streams }

type addr string

func (a addr) Network() string { return "memnet" }
func (a addr) String() string  { return string(a) }

type conn struct {
	net.Conn
	local, remote addr
}

func (c conn) LocalAddr() net.Addr  { return c.local }
func (c conn) RemoteAddr() net.Addr { return c.remote }

// DialStream connects to the transport at addr.
func (t *Transport) DialStream(ctx context.Context, to string) (net.Conn, error) {
	dst, err := t.net.route(t.addr, to)
	if err != nil {
		return nil, err
	}
	a, b := net.Pipe()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	if dst.closed {
		return nil, fmt.Errorf("%w: %s", ErrUnreachable, to)
	}
	select {
	case dst.streams <- conn{Conn: b, local: addr(to), remote: addr(t.addr)}:
		return conn{Conn: a, local: addr(t.addr), remote: addr(to)}, nil
	case <-ctx.Done():
		a.Close()
		b.Close()
		return nil, ctx.Err()
	default:
		a.Close()
		b.Close()
		return nil, fmt.Errorf("%w: %s backlog full", ErrUnreachable, to)
	}
}

// Close detaches the transport and closes its channels. Streams already
// accepted stay open until their owners close them.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
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
	close(t.packets)
	close(t.streams)
	for c := range t.streams {
		c.Close()
	}
	return nil
}
