package hybrid

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/tcp"
	"github.com/libgossip/libgossip/net/transport/udp"
)

// bindAttempts bounds retries when a free UDP port is taken for TCP.
const bindAttempts = 16

// Transport is a hybrid gossip.Transport. Create it with New; it is safe for
// concurrent use.
type Transport struct {
	bind string
	c    *stats.Counters
	udp  *udp.Transport
	tcp  *tcp.Transport
}

var (
	_ gossip.Transport       = (*Transport)(nil)
	_ gossip.PacketTryWriter = (*Transport)(nil)
)

// New returns a transport that will bind bind ("host:port"; port 0 picks a
// free port for both protocols) when started. It opens no socket.
func New(bind string, opts ...transport.Option) *Transport {
	o := transport.Apply(opts...)
	opts = append(opts[:len(opts):len(opts)], transport.WithCounters(o.Counters))
	return &Transport{
		bind: bind,
		c:    o.Counters,
		udp:  udp.New(bind, opts...),
		tcp:  tcp.New(bind, append(opts, transport.WithoutPackets())...),
	}
}

// Start binds both sockets on one port and delivers UDP packets and TCP
// streams to h.
func (t *Transport) Start(ctx context.Context, h gossip.Handler) error {
	if h == nil {
		return transport.ErrNilHandler
	}
	host, port, err := net.SplitHostPort(t.bind)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", transport.ErrAddress, t.bind, err)
	}
	var lc net.ListenConfig
	for attempt := 1; ; attempt++ {
		pc, err := lc.ListenPacket(ctx, "udp", t.bind)
		if err != nil {
			return fmt.Errorf("net/hybrid: listen udp %s: %w", t.bind, err)
		}
		_, p, _ := net.SplitHostPort(pc.LocalAddr().String())
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, p))
		if err != nil {
			pc.Close()
			if port == "0" && attempt < bindAttempts && errors.Is(err, syscall.EADDRINUSE) {
				continue
			}
			return fmt.Errorf("net/hybrid: listen tcp %s: %w", net.JoinHostPort(host, p), err)
		}
		if err := t.udp.StartConn(pc.(*net.UDPConn), h); err != nil {
			pc.Close()
			ln.Close()
			return err
		}
		if err := t.tcp.StartListener(ln, h); err != nil {
			ln.Close()
			return err
		}
		return nil
	}
}

// Addr returns the advertised "host:port", or "" before Start.
func (t *Transport) Addr() string { return t.udp.Addr() }

// Port returns the bound port, or 0 before Start.
func (t *Transport) Port() int {
	a := t.udp.LocalAddr()
	if a == nil {
		return 0
	}
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}

// PacketSize returns the UDP packet budget in bytes.
func (t *Transport) PacketSize() int { return t.udp.PacketSize() }

// Stats returns a snapshot of the shared counters.
func (t *Transport) Stats() stats.Snapshot { return t.c.Snapshot() }

// WritePacket sends b over UDP; see udp.Transport.WritePacket.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	return t.udp.WritePacket(ctx, addr, b)
}

// TryWritePacket sends b over UDP if it can without waiting; see
// udp.Transport.TryWritePacket.
func (t *Transport) TryWritePacket(addr string, b []byte) error {
	return t.udp.TryWritePacket(addr, b)
}

// DialStream opens a TCP stream; see tcp.Transport.DialStream.
func (t *Transport) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	return t.tcp.DialStream(ctx, addr)
}

// Close closes both transports and waits for their goroutines.
func (t *Transport) Close() error {
	return errors.Join(t.udp.Close(), t.tcp.Close())
}
