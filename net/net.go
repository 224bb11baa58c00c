package net

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	stdnet "net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/limit"
	"github.com/libgossip/libgossip/net/security"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/hybrid"
	"github.com/libgossip/libgossip/net/transport/tcp"
	"github.com/libgossip/libgossip/net/transport/udp"
)

// ErrScheme reports a URI scheme New does not know.
var ErrScheme = errors.New("net: unknown transport scheme")

// Schemes lists the schemes New knows, default first.
func Schemes() []string { return []string{"hybrid", "udp", "tcp"} }

type config struct {
	topts    []transport.Option
	log      *slog.Logger
	counters *stats.Counters
	sopts    []security.Option
	secure   bool
	lopts    []limit.Option
	limited  bool
}

// Option configures New.
type Option func(*config)

// WithAdvertise sets the address peers use: "host" or "host:port". Default:
// the bind address (an interface address for a wildcard bind).
func WithAdvertise(addr string) Option {
	return func(c *config) { c.topts = append(c.topts, transport.WithAdvertise(addr)) }
}

// WithPacketSize sets the packet budget in bytes on the wire, before any
// encryption overhead. Default transport.DefaultPacketSize.
func WithPacketSize(n int) Option {
	return func(c *config) { c.topts = append(c.topts, transport.WithPacketSize(n)) }
}

// WithMaxConns caps concurrent inbound TCP connections. Default
// transport.DefaultMaxConns.
func WithMaxConns(n int) Option {
	return func(c *config) { c.topts = append(c.topts, transport.WithMaxConns(n)) }
}

// WithMaxConnsPerSource caps concurrent inbound TCP connections from one
// source IP that are opening or carry a stream. Default
// transport.DefaultMaxConnsPerSource; raise it when many members share an
// address.
func WithMaxConnsPerSource(n int) Option {
	return func(c *config) { c.topts = append(c.topts, transport.WithMaxConnsPerSource(n)) }
}

// WithIdleTimeout closes TCP packet connections silent this long. Default
// transport.DefaultIdleTimeout.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.topts = append(c.topts, transport.WithIdleTimeout(d)) }
}

// WithIOTimeout bounds each frame read or write, dial and handshake.
// Default transport.DefaultIOTimeout.
func WithIOTimeout(d time.Duration) Option {
	return func(c *config) {
		c.topts = append(c.topts, transport.WithIOTimeout(d))
		c.sopts = append(c.sopts, security.WithHandshakeTimeout(d))
	}
}

// WithTransportOptions passes options to the socket transport as is.
func WithTransportOptions(opts ...transport.Option) Option {
	return func(c *config) { c.topts = append(c.topts, opts...) }
}

// WithLogger sets the logger of every layer. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithCounters makes every layer count into s. Default: a fresh
// stats.Counters.
func WithCounters(s *stats.Counters) Option { return func(c *config) { c.counters = s } }

// WithKeyring encrypts and authenticates every packet and stream with the
// keyring's keys (AES-GCM). Default: no encryption.
func WithKeyring(r *security.Keyring) Option {
	return func(c *config) { c.sopts, c.secure = append(c.sopts, security.WithKeyring(r)), true }
}

// WithLabel binds every packet and stream to a cluster label. Default: no
// label.
func WithLabel(label string) Option {
	return func(c *config) { c.sopts, c.secure = append(c.sopts, security.WithLabel(label)), true }
}

// WithTLS runs streams inside TLS with cfg (see security.MutualTLS).
// Default: no TLS.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) { c.sopts, c.secure = append(c.sopts, security.WithTLS(cfg)), true }
}

// WithInboundLimit accepts at most r packets per second, with bursts of
// burst, from each source address. Default: unlimited.
func WithInboundLimit(r rate.Limit, burst int) Option {
	return func(c *config) { c.lopts, c.limited = append(c.lopts, limit.WithInbound(r, burst)), true }
}

// WithOutboundLimit sends at most r packets per second, with bursts of
// burst. Default: unlimited.
func WithOutboundLimit(r rate.Limit, burst int) Option {
	return func(c *config) { c.lopts, c.limited = append(c.lopts, limit.WithOutbound(r, burst)), true }
}

// Transport is the transport New builds: a gossip.Transport with its
// counters. It is safe for concurrent use.
type Transport struct {
	gossip.Transport
	scheme   string
	counters *stats.Counters
}

// Stats returns a snapshot of the counters shared by every layer.
func (t *Transport) Stats() stats.Snapshot { return t.counters.Snapshot() }

var _ gossip.PacketTryWriter = (*Transport)(nil)

// TryWritePacket sends b without waiting when the stack beneath can
// (gossip.PacketTryWriter: the udp and hybrid schemes, through the
// security and limit wrappers); otherwise, for tcp:// among others, it
// refuses with gossip.ErrWouldBlock and WritePacket carries the packet.
func (t *Transport) TryWritePacket(addr string, b []byte) error {
	if tw, ok := t.Transport.(gossip.PacketTryWriter); ok {
		return tw.TryWritePacket(addr, b)
	}
	return gossip.ErrWouldBlock
}

// Scheme returns the transport's scheme ("hybrid", "udp" or "tcp").
func (t *Transport) Scheme() string { return t.scheme }

// New builds an unstarted transport from uri, "scheme://host:port" or
// "host:port" (hybrid). It opens no socket; the Node (or the caller) starts
// it. An unknown scheme wraps ErrScheme; a bad address wraps
// transport.ErrAddress.
func New(uri string, opts ...Option) (*Transport, error) {
	scheme, addr, ok := strings.Cut(uri, "://")
	if !ok {
		scheme, addr = "hybrid", uri
	}
	scheme = strings.ToLower(scheme)
	if err := checkAddr(addr); err != nil {
		return nil, fmt.Errorf("net: %q: %w", uri, err)
	}
	c := config{}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	if c.counters == nil {
		c.counters = stats.New()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	topts := append([]transport.Option{transport.WithLogger(c.log)}, c.topts...)
	topts = append(topts, transport.WithCounters(c.counters))
	var tr gossip.Transport
	switch scheme {
	case "hybrid":
		tr = hybrid.New(addr, topts...)
	case "udp":
		tr = udp.New(addr, topts...)
	case "tcp":
		tr = tcp.New(addr, topts...)
	default:
		return nil, fmt.Errorf("%w: %q in %q (known: %v)", ErrScheme, scheme, uri, Schemes())
	}
	// Security outermost, limit inside it: the inner wrapper's Handler sees
	// a packet first, so floods are dropped before any decryption.
	var mws []gossip.Middleware
	if c.secure {
		sec, err := security.Middleware(append(c.sopts, security.WithCounters(c.counters), security.WithLogger(c.log))...)
		if err != nil {
			return nil, fmt.Errorf("net: %w", err)
		}
		mws = append(mws, sec)
	}
	if c.limited {
		mws = append(mws, limit.Middleware(append(c.lopts, limit.WithCounters(c.counters))...))
	}
	return &Transport{Transport: gossip.Chain(tr, mws...), scheme: scheme, counters: c.counters}, nil
}

// checkAddr accepts "host:port" where host is empty (every interface), an
// IPv4 address, an IPv6 address in brackets (with an optional zone), or a
// host name, and port is a number from 0 to 65535.
func checkAddr(addr string) error {
	host, port, err := stdnet.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %v", transport.ErrAddress, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%w: port %q", transport.ErrAddress, port)
	}
	if err := checkHost(host); err != nil {
		return fmt.Errorf("%w: host %q: %v", transport.ErrAddress, host, err)
	}
	return nil
}

func checkHost(host string) error {
	if host == "" {
		return nil
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return errors.New("not an IPv6 address")
		}
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if len(host) > 253 {
		return errors.New("name longer than 253 bytes")
	}
	numeric := true
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("not a host name")
		}
		for _, r := range label {
			switch {
			case r >= '0' && r <= '9':
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_':
				numeric = false
			default:
				return fmt.Errorf("character %q in a host name", r)
			}
		}
	}
	if numeric {
		return errors.New("not an IPv4 address")
	}
	return nil
}
