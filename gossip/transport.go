package gossip

import (
	"context"
	"net"
	"time"
)

// Transport carries a Node's traffic: best-effort packets for probes and
// gossip, and reliable streams for full-state exchange, oversized messages
// and the fallback probe. Implementations live in memnet (in memory) and in
// the net module (UDP, TCP, hybrid, and wrappers that add encryption, labels
// and rate limits).
//
// A Node calls Start once before anything else and Close once at shutdown.
// WritePacket and DialStream may be called from several goroutines at once.
type Transport interface {
	// Start binds the transport's sockets (or registers it on its network)
	// and starts delivering to Packets and Streams. It must not block past
	// ctx. After Start, Addr reports the address peers should use.
	Start(ctx context.Context) error

	// Addr is the address other members use to reach this transport, for
	// IP transports "host:port" with the advertise host and the bound port.
	Addr() string

	// PacketSize is the largest packet, in bytes, that WritePacket accepts
	// and the network is expected to carry whole (the MTU budget).
	PacketSize() int

	// WritePacket sends b to addr as one packet, best effort. The transport
	// does not retain b after it returns. An error means the packet was
	// certainly not sent; success does not mean it arrived.
	WritePacket(ctx context.Context, addr string, b []byte) error

	// Packets delivers received packets. The channel is closed after Close
	// returns. The receiver owns each Packet's Data.
	Packets() <-chan Packet

	// DialStream opens a reliable, ordered stream to addr, bounded by ctx.
	DialStream(ctx context.Context, addr string) (net.Conn, error)

	// Streams delivers accepted inbound streams; the receiver owns and
	// closes each. The channel is closed after Close returns.
	Streams() <-chan net.Conn

	// Close stops the transport, closes its sockets and both channels, and
	// waits for its goroutines to exit. Close after Close is a no-op.
	Close() error
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
