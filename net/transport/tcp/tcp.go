package tcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/wire/frame"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
)

// Connection preambles.
const (
	preambleStream = 'S'
	preamblePacket = 'P'
)

// Transport is a TCP gossip.Transport. Create it with New; it is safe for
// concurrent use.
type Transport struct {
	bind string
	opts transport.Options
	c    *stats.Counters

	mu      sync.Mutex
	started bool
	closed  bool
	ln      net.Listener
	addr    string
	inbound map[net.Conn]inbound
	sources map[netip.Addr]int // opening and stream connections per source IP
	pconns  map[netip.Addr]int // packet connections per source IP
	pool    map[string]*pooled

	slots chan struct{} // one token per inbound connection
	done  chan struct{}
	wg    sync.WaitGroup
}

var _ gossip.Transport = (*Transport)(nil)

// inbound is what the transport tracks of an accepted connection.
type inbound struct {
	src     netip.Addr
	counted bool // counts against its source's cap
	packet  bool // counts against its source's packet connections
}

type pooled struct {
	mu   sync.Mutex // serializes frame writes
	conn net.Conn
	last atomic.Int64 // unix nanoseconds of the last write
}

// New returns a transport that will listen on bind ("host:port"; port 0
// picks a free port) when started. It opens no socket.
func New(bind string, opts ...transport.Option) *Transport {
	o := transport.Apply(opts...)
	return &Transport{
		bind:    bind,
		opts:    o,
		c:       o.Counters,
		inbound: make(map[net.Conn]inbound),
		sources: make(map[netip.Addr]int),
		pconns:  make(map[netip.Addr]int),
		pool:    make(map[string]*pooled),
		slots:   make(chan struct{}, o.MaxConns),
		done:    make(chan struct{}),
	}
}

// Start listens and starts the accept loop: packets and streams that
// arrive are delivered to h.
func (t *Transport) Start(ctx context.Context, h gossip.Handler) error {
	if h == nil {
		return transport.ErrNilHandler
	}
	if err := t.checkState(false); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", t.bind)
	if err != nil {
		return fmt.Errorf("net/tcp: listen %s: %w", t.bind, err)
	}
	if err := t.StartListener(ln, h); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// StartListener starts the transport on an already open listener instead
// of opening its own, delivering to h; the transport owns ln from then on,
// unless StartListener returns an error.
func (t *Transport) StartListener(ln net.Listener, h gossip.Handler) error {
	if h == nil {
		return transport.ErrNilHandler
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkLocked(false); err != nil {
		return err
	}
	addr, how, err := transport.AdvertiseAddr(t.bind, transport.AddrPortOf(ln.Addr()), t.opts.Advertise)
	if err != nil {
		return err
	}
	t.ln, t.addr, t.started = ln, addr, true
	t.wg.Add(1)
	go t.acceptLoop(ln, h)
	level := slog.LevelDebug
	if how != "bind" && how != "advertise" {
		level = slog.LevelInfo // a wildcard bind: say which address peers get
	}
	t.opts.Logger.Log(context.Background(), level, "tcp transport started", "component", "net/tcp", "addr", addr, "bind", ln.Addr().String(), "advertise_from", how)
	return nil
}

func (t *Transport) checkState(started bool) error {
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

// LocalAddr returns the listener's address, or nil before Start.
func (t *Transport) LocalAddr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ln == nil {
		return nil
	}
	return t.ln.Addr()
}

// PacketSize returns the packet budget in bytes.
func (t *Transport) PacketSize() int { return t.opts.PacketSize }

// Stats returns a snapshot of the transport's counters.
func (t *Transport) Stats() stats.Snapshot { return t.c.Snapshot() }

func (t *Transport) dial(ctx context.Context, addr string, preamble []byte) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, t.opts.IOTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("net/tcp: dial %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetWriteDeadline(deadline)
	if _, err := conn.Write(preamble); err != nil {
		conn.Close()
		return nil, fmt.Errorf("net/tcp: dial %s: %w", addr, err)
	}
	_ = conn.SetWriteDeadline(time.Time{})
	return conn, nil
}

// DialStream opens a stream to addr. The stream's deadline is set to the
// stream timeout; the caller owns and must close it.
func (t *Transport) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	if err := t.checkState(true); err != nil {
		return nil, err
	}
	conn, err := t.dial(ctx, addr, []byte{preambleStream})
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(t.opts.StreamTimeout))
	t.c.StreamOut()
	return conn, nil
}

// WritePacket sends b to addr as one frame over a cached connection,
// dialing one if needed. It fails with transport.ErrOversize if b is larger
// than PacketSize. A write on a cached connection that fails is retried
// once on a fresh connection.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	if err := t.checkState(true); err != nil {
		return err
	}
	if len(b) > t.opts.PacketSize {
		t.c.Drop(stats.Oversize)
		return fmt.Errorf("%w: %d bytes, limit %d", transport.ErrOversize, len(b), t.opts.PacketSize)
	}
	msg := frame.Append(make([]byte, 0, frame.HeaderSize+len(b)), b)
	for {
		p, fresh, err := t.conn(ctx, addr)
		if err != nil {
			return err
		}
		p.mu.Lock()
		_ = p.conn.SetWriteDeadline(time.Now().Add(t.opts.IOTimeout))
		_, err = p.conn.Write(msg)
		p.last.Store(time.Now().UnixNano())
		p.mu.Unlock()
		if err == nil {
			t.c.PacketOut(len(b))
			return nil
		}
		t.forget(addr, p)
		if fresh {
			return fmt.Errorf("net/tcp: write to %s: %w", addr, err)
		}
	}
}

// conn returns the cached packet connection to addr, dialing it if needed.
func (t *Transport) conn(ctx context.Context, addr string) (*pooled, bool, error) {
	t.mu.Lock()
	p := t.pool[addr]
	t.mu.Unlock()
	if p != nil {
		return p, false, nil
	}
	self := t.Addr()
	if len(self) > 255 {
		return nil, false, fmt.Errorf("%w: advertise address too long", transport.ErrAddress)
	}
	conn, err := t.dial(ctx, addr, append([]byte{preamblePacket, byte(len(self))}, self...))
	if err != nil {
		return nil, false, err
	}
	p = &pooled{conn: conn}
	p.last.Store(time.Now().UnixNano())
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		conn.Close()
		return nil, false, transport.ErrClosed
	}
	if q := t.pool[addr]; q != nil {
		conn.Close()
		return q, false, nil
	}
	if len(t.pool) >= t.opts.MaxConns {
		t.evictLocked()
	}
	t.pool[addr] = p
	t.wg.Add(1)
	go t.watch(addr, p)
	return p, true, nil
}

// evictLocked closes the least recently used cached connection.
func (t *Transport) evictLocked() {
	var oldest string
	var at int64
	for a, p := range t.pool {
		if l := p.last.Load(); oldest == "" || l < at {
			oldest, at = a, l
		}
	}
	if p := t.pool[oldest]; p != nil {
		delete(t.pool, oldest)
		p.conn.Close()
	}
}

func (t *Transport) forget(addr string, p *pooled) {
	t.mu.Lock()
	if t.pool[addr] == p {
		delete(t.pool, addr)
	}
	t.mu.Unlock()
	p.conn.Close()
}

// watch closes a cached connection when its peer closes it or when it has
// been idle for half the idle timeout.
func (t *Transport) watch(addr string, p *pooled) {
	defer t.wg.Done()
	defer t.forget(addr, p)
	idle := t.opts.IdleTimeout / 2
	var buf [64]byte
	for {
		_ = p.conn.SetReadDeadline(time.Now().Add(idle))
		_, err := p.conn.Read(buf[:])
		if err == nil {
			continue // peers never write on packet connections; ignore
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return
		}
		if time.Since(time.Unix(0, p.last.Load())) >= idle {
			return
		}
	}
}

func (t *Transport) acceptLoop(ln net.Listener, h gossip.Handler) {
	defer t.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-t.done:
				return
			default:
			}
			t.opts.Logger.Warn("tcp accept failed", "component", "net/tcp", "err", err)
			select {
			case <-t.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if !t.admit(conn) {
			t.c.Drop(stats.Overflow)
			conn.Close()
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			t.release(conn)
			return
		}
		t.wg.Add(1)
		t.mu.Unlock()
		go t.serve(conn, h)
	}
}

// admit takes a global slot and a slot of the connection's source, or
// neither: it reports false when either cap is reached.
func (t *Transport) admit(conn net.Conn) bool {
	select {
	case t.slots <- struct{}{}:
	default:
		return false
	}
	src := transport.AddrPortOf(conn.RemoteAddr()).Addr()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sources[src] >= t.opts.MaxConnsPerSource {
		<-t.slots
		return false
	}
	t.sources[src]++
	t.inbound[conn] = inbound{src: src, counted: true}
	return true
}

// maxPacketConnsPerSource is how many packet connections one source IP may
// hold: a member keeps one to each peer, so a host running many members
// needs many, but one address never gets more than a quarter of the slots.
func (t *Transport) maxPacketConnsPerSource() int {
	return max(t.opts.MaxConnsPerSource, t.opts.MaxConns/4)
}

// toPacketConn moves conn from its source's opening/stream count to its
// packet connection count, or reports false if the source has too many.
func (t *Transport) toPacketConn(conn net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	in, ok := t.inbound[conn]
	if !ok {
		return false
	}
	if in.counted {
		decr(t.sources, in.src)
	}
	t.inbound[conn] = inbound{src: in.src}
	if t.pconns[in.src] >= t.maxPacketConnsPerSource() {
		return false
	}
	t.pconns[in.src]++
	t.inbound[conn] = inbound{src: in.src, packet: true}
	return true
}

func decr(m map[netip.Addr]int, k netip.Addr) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// release untracks an inbound connection, closes it and frees its slots.
func (t *Transport) release(conn net.Conn) {
	t.mu.Lock()
	if in, ok := t.inbound[conn]; ok {
		if in.counted {
			decr(t.sources, in.src)
		}
		if in.packet {
			decr(t.pconns, in.src)
		}
		delete(t.inbound, conn)
	}
	t.mu.Unlock()
	conn.Close()
	<-t.slots
}

// serve reads an inbound connection's preamble and then serves it as a
// stream (h.HandleStream, on this goroutine) or as a packet connection.
// Close closes the connection, which ends either.
func (t *Transport) serve(conn net.Conn, h gossip.Handler) {
	defer t.wg.Done()
	defer t.release(conn)
	// The opening byte must come quickly: a silent connection holds a slot
	// of its source for at most the accept timeout.
	_ = conn.SetReadDeadline(time.Now().Add(t.opts.AcceptTimeout))
	var pre [1]byte
	if _, err := io.ReadFull(conn, pre[:]); err != nil {
		return
	}
	switch {
	case pre[0] == preambleStream:
		_ = conn.SetDeadline(time.Now().Add(t.opts.StreamTimeout))
		t.c.StreamIn()
		h.HandleStream(conn)
	case pre[0] == preamblePacket && !t.opts.NoPackets:
		t.readPackets(conn, h)
	default:
		t.c.Drop(stats.Decode)
	}
}

func (t *Transport) readPackets(conn net.Conn, h gossip.Handler) {
	_ = conn.SetReadDeadline(time.Now().Add(t.opts.AcceptTimeout))
	var n [1]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		t.c.Drop(stats.Decode)
		return
	}
	from := make([]byte, n[0])
	if _, err := io.ReadFull(conn, from); err != nil {
		t.c.Drop(stats.Decode)
		return
	}
	if len(from) == 0 {
		from = []byte(conn.RemoteAddr().String())
	}
	// A packet connection is long-lived (one per peer, cached): it leaves
	// its source's opening/stream cap for a larger one of its own.
	if !t.toPacketConn(conn) {
		t.c.Drop(stats.Overflow)
		return
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(t.opts.IdleTimeout))
		size, err := frame.ReadHeader(conn, t.opts.MaxFrame)
		if err != nil {
			if errors.Is(err, frame.ErrTooLarge) {
				t.c.Drop(stats.Oversize)
			}
			return
		}
		if size == 0 {
			t.c.Drop(stats.Decode)
			continue
		}
		_ = conn.SetReadDeadline(time.Now().Add(t.opts.IOTimeout))
		b, err := frame.ReadBody(conn, size)
		if err != nil {
			t.c.Drop(stats.Decode)
			return
		}
		t.c.PacketIn(size)
		h.HandlePacket(gossip.Packet{From: string(from), Data: b, Received: time.Now()})
	}
}

// Close stops accepting, closes every inbound connection (streams being
// served included) and every cached outbound one, and waits for its
// goroutines, so the Handler is not called after Close returns. Streams
// returned by DialStream belong to their callers and stay open. Close after
// Close returns nil.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.done)
	var err error
	if t.ln != nil {
		err = transport.CloseAll(t.ln)
	}
	for c := range t.inbound {
		c.Close()
	}
	for _, p := range t.pool {
		p.conn.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	return err
}
