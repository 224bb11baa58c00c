package gossip

import (
	"context"
	"errors"
	"net"
	"time"
)

// Transport carries a Node's traffic: best-effort packets for probes and
// gossip, and reliable streams for full-state exchange, oversized messages
// and the fallback probe. Implementations live in memnet (in memory) and in
// the net module (UDP, TCP, hybrid); encryption, labels, rate limits and
// fault injection are Middleware around a Transport.
//
// A Transport is push-delivered: Start hands it a Handler, and the transport
// delivers every received packet and every accepted stream to it. A Node
// calls Start once before anything else and Close once at shutdown.
// WritePacket and DialStream may be called from several goroutines at once.
type Transport interface {
	// Start binds the transport's sockets (or registers it on its network)
	// and starts delivering to h. It must not block past ctx. After Start,
	// Addr reports the address peers should use. A second Start, or Start
	// after Close, fails.
	Start(ctx context.Context, h Handler) error

	// Addr is the address other members use to reach this transport, for
	// IP transports "host:port" with the advertise host and the bound port.
	Addr() string

	// PacketSize is the largest packet, in bytes, that WritePacket accepts
	// and the network is expected to carry whole (the MTU budget).
	PacketSize() int

	// WritePacket sends b to addr as one packet, best effort. The transport
	// does not retain b after it returns. An error means the packet was
	// certainly not sent (too large, closed, unreachable); success does not
	// mean it arrived. It must not block past ctx.
	WritePacket(ctx context.Context, addr string, b []byte) error

	// DialStream opens a reliable, ordered stream to addr, bounded by ctx.
	// The caller owns and closes the returned conn.
	DialStream(ctx context.Context, addr string) (net.Conn, error)

	// Close stops the transport: it closes its sockets and every open
	// inbound stream, and waits until no call to the Handler is running and
	// none will start. Calls after Close fail. Close after Close is a
	// no-op.
	Close() error
}

// ErrWouldBlock is returned by PacketTryWriter.TryWritePacket when the
// packet cannot be handed to the network without waiting (a full socket
// buffer, a host name to resolve, a wrapper whose work may wait). Nothing
// was sent; the caller may send the packet with WritePacket instead.
var ErrWouldBlock = errors.New("gossip: packet write would block")

// PacketTryWriter is an optional interface of a Transport whose packets
// can be sent without waiting: a datagram socket hands a packet to the
// kernel at once or refuses it. When the Transport given to New offers
// it, the Node writes packets straight from its protocol goroutine, which
// saves a hand-off to a sender goroutine per packet, and falls back to its
// senders (and WritePacket) for any packet refused with ErrWouldBlock.
// Streams always go through the senders.
//
// TryWritePacket must never block: no name resolution, no waiting for
// buffer space, no lock held by a caller that waits on I/O. It may be
// called from several goroutines at once and does not retain b. An error
// other than ErrWouldBlock means b was not sent and will not be; nil means
// it was handed to the network, as for WritePacket.
//
// A Middleware around a Transport that offers it should offer it too when
// its own work on a packet never waits (encryption, counting), and must
// not when it may wait (a rate limit). A wrapper that embeds a concrete
// transport type must take care not to promote the inner TryWritePacket
// past its own WritePacket.
type PacketTryWriter interface {
	TryWritePacket(addr string, b []byte) error
}

// Handler receives what a Transport delivers; the runtime Node implements
// it.
type Handler interface {
	// HandlePacket receives one datagram. It is called from the transport's
	// receive goroutine(s) and must not block: it queues or drops p and
	// returns. The handler owns p.Data after the call.
	HandlePacket(p Packet)

	// HandleStream serves one accepted inbound stream, on a goroutine of its
	// own owned by the transport; it may block reading and writing conn. The
	// transport closes conn when HandleStream returns; Close closes every
	// open stream and waits for every HandleStream to return.
	HandleStream(conn net.Conn)
}

// Middleware wraps a Transport to add a concern (encryption, labels, rate
// limits, fault injection, metrics). The returned Transport owns the one it
// wraps: its Start and Close start and close the inner transport. A
// middleware usually passes its own Handler to the inner Start, one that
// filters or transforms what arrives before calling the outer Handler; it
// starts no goroutine and owns no queue of its own.
type Middleware func(Transport) Transport

// Chain returns t wrapped by mws, the first one outermost: Chain(t, a, b)
// is a(b(t)). A nil middleware is skipped.
func Chain(t Transport, mws ...Middleware) Transport {
	for i := len(mws) - 1; i >= 0; i-- {
		if mws[i] != nil {
			t = mws[i](t)
		}
	}
	return t
}

// Packet is one received datagram.
type Packet struct {
	// From is the sender's address as seen by the transport.
	From string
	// Data is the packet's bytes, owned by the receiver.
	Data []byte
	// Received is when the transport read the packet.
	Received time.Time
}
