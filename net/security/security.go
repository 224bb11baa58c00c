package security

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/stats"
)

// Envelope bytes and additional-data prefixes.
const (
	envSealed   = 0x01
	envLabelled = 0x02
	packetAD    = "libgossip v1 packet\x00"
	streamAD    = "libgossip v1 stream\x00"
	helloMagic  = "LGS1"
	// MaxLabelLen is the longest cluster label, in bytes.
	MaxLabelLen = 255
	// Overhead is the number of bytes a sealed packet adds.
	Overhead = 1 + nonceSize + tagSize
	// DefaultReplayWindow is the default number of recent nonces kept
	// for replay detection.
	DefaultReplayWindow = 8192
	// DefaultHandshakeTimeout bounds an inbound stream's hello or TLS
	// handshake.
	DefaultHandshakeTimeout = 5 * time.Second
)

// Errors returned by Wrap and the wrapped transport.
var (
	// ErrLabel reports a label longer than MaxLabelLen.
	ErrLabel = errors.New("net/security: label too long")
	// ErrAuth reports a stream whose peer failed authentication.
	ErrAuth = errors.New("net/security: authentication failed")
	// ErrClosed is returned by a wrapper used after Close.
	ErrClosed = errors.New("net/security: transport closed")
	// ErrOption reports an option that would weaken security silently,
	// such as WithKeyring(nil) or WithTLS(nil).
	ErrOption = errors.New("net/security: invalid option")
)

type options struct {
	nilKeys   bool // WithKeyring(nil) was given
	nilTLS    bool // WithTLS(nil) was given
	keys      *Keyring
	label     string
	tls       *tls.Config
	counters  *stats.Counters
	log       *slog.Logger
	window    int
	handshake time.Duration
}

// Option configures Wrap.
type Option func(*options)

// WithKeyring encrypts and authenticates packets (and streams without TLS)
// with the keyring's keys. Default: no encryption. A nil keyring makes Wrap
// fail with ErrOption rather than run unencrypted.
func WithKeyring(r *Keyring) Option {
	return func(o *options) { o.keys, o.nilKeys = r, r == nil }
}

// WithLabel binds every packet and stream to a cluster label, at most
// MaxLabelLen bytes. Default "" (no label; still distinct from any label).
func WithLabel(label string) Option { return func(o *options) { o.label = label } }

// WithTLS runs every stream inside TLS with cfg, used as the client config
// when dialing (ServerName defaults to the dialed host) and the server
// config when accepting. Default: no TLS. A nil config makes Wrap fail with
// ErrOption rather than run without TLS.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.tls, o.nilTLS = cfg, cfg == nil }
}

// WithCounters counts drops into c. Default: a fresh stats.Counters.
func WithCounters(c *stats.Counters) Option { return func(o *options) { o.counters = c } }

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithReplayWindow sets how many recent sealed packets are remembered for
// replay detection; 0 or less keeps the default DefaultReplayWindow.
func WithReplayWindow(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.window = n
		}
	}
}

// WithHandshakeTimeout bounds an inbound stream's hello. Default
// DefaultHandshakeTimeout.
func WithHandshakeTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.handshake = d
		}
	}
}

// Transport is a gossip.Transport wrapped with security. It starts no
// goroutine of its own: it opens packets and runs the inbound stream
// handshake inside the inner transport's calls to its Handler. It is safe
// for concurrent use.
type Transport struct {
	inner gossip.Transport
	o     options
	c     *stats.Counters

	replay replayFilter

	mu     sync.Mutex
	closed bool
}

var (
	_ gossip.Transport       = (*Transport)(nil)
	_ gossip.PacketTryWriter = (*Transport)(nil)
)

// Middleware returns a gossip.Middleware that wraps a transport with the
// given options, or an error if the options are invalid (see Wrap).
func Middleware(opts ...Option) (gossip.Middleware, error) {
	o, err := build(opts)
	if err != nil {
		return nil, err
	}
	return func(inner gossip.Transport) gossip.Transport { return newTransport(inner, o) }, nil
}

// Wrap returns inner wrapped with the given options. The wrapper owns inner:
// its Start and Close start and close inner. A label over MaxLabelLen fails
// with ErrLabel; WithKeyring(nil) or WithTLS(nil) fails with ErrOption.
func Wrap(inner gossip.Transport, opts ...Option) (*Transport, error) {
	o, err := build(opts)
	if err != nil {
		return nil, err
	}
	return newTransport(inner, o), nil
}

func build(opts []Option) (options, error) {
	o := options{window: DefaultReplayWindow, handshake: DefaultHandshakeTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if len(o.label) > MaxLabelLen {
		return o, fmt.Errorf("%w: %d bytes, limit %d", ErrLabel, len(o.label), MaxLabelLen)
	}
	if o.nilKeys {
		return o, fmt.Errorf("%w: WithKeyring(nil); pass a keyring, or leave the option out to run unencrypted", ErrOption)
	}
	if o.nilTLS {
		return o, fmt.Errorf("%w: WithTLS(nil); pass a *tls.Config, or leave the option out to run without TLS", ErrOption)
	}
	if o.counters == nil {
		o.counters = stats.New()
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	return o, nil
}

func newTransport(inner gossip.Transport, o options) *Transport {
	return &Transport{inner: inner, o: o, c: o.counters, replay: newReplayFilter(o.window)}
}

// Start starts the inner transport with a Handler that authenticates what
// arrives before handing it to h.
func (t *Transport) Start(ctx context.Context, h gossip.Handler) error {
	if h == nil {
		return fmt.Errorf("net/security: nil handler")
	}
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return t.inner.Start(ctx, handler{t: t, next: h})
}

// Addr returns the inner transport's address.
func (t *Transport) Addr() string { return t.inner.Addr() }

// PacketSize returns the inner packet size less the envelope's overhead.
func (t *Transport) PacketSize() int { return t.inner.PacketSize() - t.overhead() }

// Stats returns a snapshot of the wrapper's counters.
func (t *Transport) Stats() stats.Snapshot { return t.c.Snapshot() }

func (t *Transport) overhead() int {
	switch {
	case t.o.keys != nil:
		return Overhead
	case t.o.label != "":
		return 2 + len(t.o.label)
	}
	return 0
}

// Seal returns the packet the wrapper sends for payload b.
func (t *Transport) seal(b []byte) ([]byte, error) {
	switch {
	case t.o.keys != nil:
		aead := t.o.keys.primary()
		if aead == nil {
			return nil, ErrNoKey
		}
		out := make([]byte, 1+nonceSize, Overhead+len(b))
		out[0] = envSealed
		_, _ = rand.Read(out[1:])
		return aead.Seal(out, out[1:], b, []byte(packetAD+t.o.label)), nil
	case t.o.label != "":
		out := make([]byte, 0, 2+len(t.o.label)+len(b))
		out = append(out, envLabelled, byte(len(t.o.label)))
		out = append(out, t.o.label...)
		return append(out, b...), nil
	}
	return b, nil
}

// WritePacket seals b and sends it through the inner transport.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	if max := t.PacketSize(); len(b) > max {
		t.c.Drop(stats.Oversize)
		return fmt.Errorf("net/security: packet of %d bytes, limit %d", len(b), max)
	}
	p, err := t.seal(b)
	if err != nil {
		return err
	}
	return t.inner.WritePacket(ctx, addr, p)
}

// TryWritePacket seals b and sends it without waiting when the inner
// transport can (gossip.PacketTryWriter); sealing only computes. It
// refuses with gossip.ErrWouldBlock, sealing nothing, when the inner
// transport cannot send without waiting at all.
func (t *Transport) TryWritePacket(addr string, b []byte) error {
	tw, ok := t.inner.(gossip.PacketTryWriter)
	if !ok {
		return gossip.ErrWouldBlock
	}
	if max := t.PacketSize(); len(b) > max {
		t.c.Drop(stats.Oversize)
		return fmt.Errorf("net/security: packet of %d bytes, limit %d", len(b), max)
	}
	p, err := t.seal(b)
	if err != nil {
		return err
	}
	return tw.TryWritePacket(addr, p)
}

// Open returns the payload of packet p, or the reason it was dropped.
func (t *Transport) open(p []byte) ([]byte, stats.Reason, bool) {
	switch {
	case t.o.keys != nil:
		if len(p) < Overhead || p[0] != envSealed {
			return nil, stats.Auth, false
		}
		nonce := p[1 : 1+nonceSize]
		pt, _, ok := t.o.keys.open(nil, nonce, p[1+nonceSize:], []byte(packetAD+t.o.label))
		if !ok {
			return nil, stats.Auth, false
		}
		if !t.replay.fresh(nonce) {
			return nil, stats.Replay, false
		}
		return pt, 0, true
	case t.o.label != "":
		n := 2 + len(t.o.label)
		if len(p) < n || p[0] != envLabelled || int(p[1]) != len(t.o.label) || string(p[2:n]) != t.o.label {
			return nil, stats.Auth, false
		}
		return p[n:], 0, true
	}
	return p, 0, true
}

// handler is the Handler the wrapper gives the inner transport.
type handler struct {
	t    *Transport
	next gossip.Handler
}

// HandlePacket opens p and passes its payload on, or drops and counts it.
func (h handler) HandlePacket(p gossip.Packet) {
	data, reason, ok := h.t.open(p.Data)
	if !ok {
		h.t.c.Drop(reason)
		h.t.o.log.Debug("packet dropped", "component", "net/security", "peer_addr", p.From, "reason", reason.String())
		return
	}
	p.Data = data
	h.next.HandlePacket(p)
}

// HandleStream runs the accept side of the handshake, bounded by the
// handshake timeout, and serves the secured stream with the next Handler.
// A failed handshake is counted and the stream closed by the inner
// transport.
func (h handler) HandleStream(conn net.Conn) {
	sc, err := h.t.secureAccept(conn)
	if err != nil {
		h.t.c.Drop(stats.Auth)
		h.t.o.log.Debug("stream refused", "component", "net/security", "peer_addr", conn.RemoteAddr().String(), "err", err)
		return
	}
	defer sc.Close()
	h.next.HandleStream(sc)
}

// DialStream opens a stream through the inner transport and secures it:
// TLS handshake (with TLS), then the hello, all bounded by ctx.
func (t *Transport) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := t.inner.DialStream(ctx, addr)
	if err != nil {
		return nil, err
	}
	sc, err := t.secureDial(ctx, conn, addr)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return sc, nil
}

func (t *Transport) secureDial(ctx context.Context, conn net.Conn, addr string) (net.Conn, error) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
		defer conn.SetDeadline(time.Time{})
	}
	switch {
	case t.o.tls != nil:
		cfg := t.o.tls.Clone()
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("%w: tls: %v", ErrAuth, err)
		}
		if _, err := tc.Write(t.hello()); err != nil {
			return nil, err
		}
		return tc, nil
	case t.o.keys != nil:
		aead := t.o.keys.primary()
		if aead == nil {
			return nil, ErrNoKey
		}
		sc := newSecureConn(conn, t.o.label, aead, true)
		if _, err := sc.Write([]byte(helloMagic)); err != nil {
			return nil, err
		}
		return sc, nil
	case t.o.label != "":
		if _, err := conn.Write(t.hello()); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

func (t *Transport) hello() []byte {
	h := append([]byte(helloMagic), byte(len(t.o.label)))
	return append(h, t.o.label...)
}

func (t *Transport) secureAccept(conn net.Conn) (net.Conn, error) {
	if t.o.tls == nil && t.o.keys == nil && t.o.label == "" {
		return conn, nil
	}
	_ = conn.SetDeadline(time.Now().Add(t.o.handshake))
	defer conn.SetDeadline(time.Time{})
	switch {
	case t.o.tls != nil:
		tc := tls.Server(conn, t.o.tls)
		if err := tc.Handshake(); err != nil {
			return nil, err
		}
		return tc, t.readHello(tc)
	case t.o.keys != nil:
		sc := newSecureConn(conn, t.o.label, nil, false)
		sc.rmu.Lock()
		pt, err := sc.readRecord(t.o.keys)
		sc.rmu.Unlock()
		if err != nil {
			return nil, err
		}
		if string(pt) != helloMagic {
			return nil, errRecord
		}
		return sc, nil
	default:
		return conn, t.readHello(conn)
	}
}

func (t *Transport) readHello(r io.Reader) error {
	want := t.hello()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		return err
	}
	if string(got) != string(want) {
		return fmt.Errorf("%w: wrong hello or label", ErrAuth)
	}
	return nil
}

// Close closes the inner transport, which closes every inbound stream (in
// its handshake or served) and waits for the Handler calls to return.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	return t.inner.Close()
}
