package udp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
)

// Transport is a UDP gossip.Transport. Create it with New; it is safe for
// concurrent use.
type Transport struct {
	bind string
	opts transport.Options
	c    *stats.Counters

	mu      sync.Mutex
	started bool
	closed  bool
	conn    *net.UDPConn
	raw     *rawSender // TryWritePacket's non-blocking sends, set by Start
	addr    string

	done chan struct{}
	wg   sync.WaitGroup
}

var (
	_ gossip.Transport       = (*Transport)(nil)
	_ gossip.PacketTryWriter = (*Transport)(nil)
)

// New returns a transport that will bind bind ("host:port"; port 0 picks a
// free port) when started. It opens no socket.
func New(bind string, opts ...transport.Option) *Transport {
	o := transport.Apply(opts...)
	return &Transport{
		bind: bind,
		opts: o,
		c:    o.Counters,
		done: make(chan struct{}),
	}
}

// Start binds the socket and starts the receive goroutine, which hands
// every datagram to h.
func (t *Transport) Start(ctx context.Context, h gossip.Handler) error {
	if h == nil {
		return transport.ErrNilHandler
	}
	if err := t.check(false); err != nil {
		return err
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", t.bind)
	if err != nil {
		return fmt.Errorf("net/udp: listen %s: %w", t.bind, err)
	}
	if err := t.StartConn(pc.(*net.UDPConn), h); err != nil {
		pc.Close()
		return err
	}
	return nil
}

// StartConn starts the transport on an already bound socket instead of
// binding its own, delivering to h; the transport owns conn from then on,
// unless StartConn returns an error.
func (t *Transport) StartConn(conn *net.UDPConn, h gossip.Handler) error {
	if h == nil {
		return transport.ErrNilHandler
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkLocked(false); err != nil {
		return err
	}
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(4 << 20)
	addr, how, err := transport.AdvertiseAddr(t.bind, transport.AddrPortOf(conn.LocalAddr()), t.opts.Advertise)
	if err != nil {
		return err
	}
	t.conn, t.addr, t.started = conn, addr, true
	t.raw = newRawSender(conn)
	t.wg.Add(1)
	go t.readLoop(conn, h)
	level := slog.LevelDebug
	if how != "bind" && how != "advertise" {
		level = slog.LevelInfo // a wildcard bind: say which address peers get
	}
	t.opts.Logger.Log(context.Background(), level, "udp transport started", "component", "net/udp", "addr", addr, "bind", conn.LocalAddr().String(), "advertise_from", how)
	return nil
}

func (t *Transport) check(started bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checkLocked(started)
}

func (t *Transport) checkLocked(started bool) error {
	return transport.CheckState(t.started, t.closed, started)
}

// Addr returns the advertised "host:port", or "" before Start.
func (t *Transport) Addr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addr
}

// LocalAddr returns the bound socket address, or nil before Start.
func (t *Transport) LocalAddr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn == nil {
		return nil
	}
	return t.conn.LocalAddr()
}

// PacketSize returns the MTU budget in bytes.
func (t *Transport) PacketSize() int { return t.opts.PacketSize }

// Stats returns a snapshot of the transport's counters.
func (t *Transport) Stats() stats.Snapshot { return t.c.Snapshot() }

// DialStream always fails with transport.ErrNoStreams.
func (t *Transport) DialStream(context.Context, string) (net.Conn, error) {
	return nil, transport.ErrNoStreams
}

func (t *Transport) socket() (*net.UDPConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkLocked(true); err != nil {
		return nil, err
	}
	return t.conn, nil
}

// WritePacket sends b to addr ("host:port"; a host name is resolved with
// ctx) as one datagram. It fails with transport.ErrOversize if b is larger
// than PacketSize.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	conn, err := t.socket()
	if err != nil {
		return err
	}
	if len(b) > t.opts.PacketSize {
		t.c.Drop(stats.Oversize)
		return fmt.Errorf("%w: %d bytes, limit %d", transport.ErrOversize, len(b), t.opts.PacketSize)
	}
	ap, err := Resolve(ctx, addr)
	if err != nil {
		return err
	}
	if _, err := conn.WriteToUDPAddrPort(b, ap); err != nil {
		return fmt.Errorf("net/udp: write to %s: %w", addr, err)
	}
	t.c.PacketOut(len(b))
	return nil
}

// Resolve parses "ip:port" or resolves "host:port" with ctx.
func Resolve(ctx context.Context, addr string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q: %v", transport.ErrAddress, addr, err)
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q: %v", transport.ErrAddress, addr, err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: %q: no address: %v", transport.ErrAddress, addr, err)
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(p)), nil
}

func (t *Transport) readLoop(conn *net.UDPConn, h gossip.Handler) {
	defer t.wg.Done()
	// One spare byte tells an oversized datagram from one that fits.
	buf := make([]byte, t.opts.PacketSize+1)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-t.done:
				return
			default:
			}
			t.opts.Logger.Debug("udp read failed", "component", "net/udp", "err", err)
			continue
		}
		if n > t.opts.PacketSize {
			t.c.Drop(stats.Oversize)
			continue
		}
		if n == 0 {
			t.c.Drop(stats.Decode)
			continue
		}
		p := gossip.Packet{
			From:     netip.AddrPortFrom(from.Addr().Unmap(), from.Port()).String(),
			Data:     append([]byte(nil), buf[:n]...),
			Received: time.Now(),
		}
		t.c.PacketIn(n)
		h.HandlePacket(p)
	}
}

// Close closes the socket and waits for the receive goroutine, so the
// Handler is not called after Close returns. Close after Close returns nil.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	conn, raw := t.conn, t.raw
	t.mu.Unlock()
	close(t.done)
	var err error
	if conn != nil {
		err = transport.CloseAll(conn)
	}
	if raw != nil {
		raw.close()
	}
	t.wg.Wait()
	return err
}
