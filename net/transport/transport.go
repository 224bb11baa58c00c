package transport

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/libgossip/libgossip/net/stats"
)

// Errors shared by the transports. Test them with errors.Is.
var (
	// ErrClosed is returned by a transport used after Close.
	ErrClosed = errors.New("net/transport: transport closed")
	// ErrNotStarted is returned by a transport used before Start.
	ErrNotStarted = errors.New("net/transport: transport not started")
	// ErrStarted is returned by a second call to Start.
	ErrStarted = errors.New("net/transport: transport already started")
	// ErrOversize is returned by WritePacket for a packet larger than
	// PacketSize.
	ErrOversize = errors.New("net/transport: packet larger than packet size")
	// ErrNoStreams is returned by DialStream on a packet-only transport.
	ErrNoStreams = errors.New("net/transport: transport has no streams")
	// ErrAddress reports an address that cannot be parsed or resolved.
	ErrAddress = errors.New("net/transport: bad address")
	// ErrNilHandler is returned by Start given a nil gossip.Handler.
	ErrNilHandler = errors.New("net/transport: nil handler")
)

// Defaults for Options. A zero or negative value given to a With function
// keeps the default.
const (
	// DefaultPacketSize is the default MTU budget, in bytes: it fits a
	// 1,500-byte Ethernet frame with room for IP, UDP and encryption
	// overhead.
	DefaultPacketSize = 1400
	// DefaultMaxConns is the default cap on concurrent inbound TCP
	// connections (packet connections and streams together), and on
	// cached outbound packet connections.
	DefaultMaxConns = 256
	// DefaultMaxConnsPerSource is the default cap on concurrent inbound
	// TCP connections from one source IP address, counting connections
	// that are opening or carry a stream (not cached packet connections,
	// which only the global cap bounds). Raise it when many members share
	// one address (one host, or behind NAT).
	DefaultMaxConnsPerSource = 16
	// DefaultAcceptTimeout is how long a new inbound TCP connection may
	// take to send its opening bytes (its preamble) before it is closed.
	DefaultAcceptTimeout = 2 * time.Second
	// DefaultIdleTimeout is how long an inbound TCP packet connection may
	// stay silent before it is closed. Cached outbound packet connections
	// are closed after half of it.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultIOTimeout bounds each read and write of a frame, a dial, and
	// the handshake of an inbound connection.
	DefaultIOTimeout = 10 * time.Second
	// DefaultStreamTimeout is the deadline set on every stream before it
	// is handed out; its owner may move it with SetDeadline.
	DefaultStreamTimeout = 30 * time.Second
	// DefaultMaxFrame is the largest TCP packet frame accepted, in bytes,
	// when the transport carries packets over TCP.
	DefaultMaxFrame = 1 << 20
)

// Options configures a transport. Build one with Apply; the zero value is
// not meaningful on its own.
type Options struct {
	// Advertise is the address peers use, "host", "host:port" or ""; see
	// AdvertiseAddr.
	Advertise string
	// PacketSize is the MTU budget in bytes.
	PacketSize int
	// MaxConns caps concurrent inbound TCP connections.
	MaxConns int
	// MaxConnsPerSource caps concurrent opening and stream connections
	// from one source IP.
	MaxConnsPerSource int
	// AcceptTimeout bounds the wait for a new connection's preamble.
	AcceptTimeout time.Duration
	// IdleTimeout closes silent TCP packet connections.
	IdleTimeout time.Duration
	// IOTimeout bounds single reads, writes, dials and handshakes.
	IOTimeout time.Duration
	// StreamTimeout is the initial deadline of handed-out streams.
	StreamTimeout time.Duration
	// MaxFrame is the largest TCP packet frame, in bytes.
	MaxFrame int
	// Logger receives debug and warning logs. Default slog.Default().
	Logger *slog.Logger
	// Counters receives traffic counts. Default: a fresh stats.Counters.
	Counters *stats.Counters
	// NoPackets makes a TCP transport refuse packet connections (the
	// hybrid transport carries packets over UDP).
	NoPackets bool
}

// Option changes Options.
type Option func(*Options)

// Apply returns the defaults with opts applied in order.
func Apply(opts ...Option) Options {
	o := Options{
		PacketSize:        DefaultPacketSize,
		MaxConns:          DefaultMaxConns,
		MaxConnsPerSource: DefaultMaxConnsPerSource,
		AcceptTimeout:     DefaultAcceptTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		IOTimeout:         DefaultIOTimeout,
		StreamTimeout:     DefaultStreamTimeout,
		MaxFrame:          DefaultMaxFrame,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Counters == nil {
		o.Counters = stats.New()
	}
	if o.MaxFrame < o.PacketSize {
		o.MaxFrame = o.PacketSize
	}
	return o
}

func positive[T int | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// WithAdvertise sets the address peers use to reach the transport: "host"
// (the bound port is added) or "host:port". Default: the bind address, or
// an interface address when binding a wildcard address.
func WithAdvertise(addr string) Option { return func(o *Options) { o.Advertise = addr } }

// WithPacketSize sets the MTU budget in bytes. Default DefaultPacketSize.
func WithPacketSize(n int) Option { return func(o *Options) { positive(&o.PacketSize, n) } }

// WithMaxConns caps concurrent inbound TCP connections. Default
// DefaultMaxConns.
func WithMaxConns(n int) Option { return func(o *Options) { positive(&o.MaxConns, n) } }

// WithMaxConnsPerSource caps concurrent inbound TCP connections from one
// source IP that are opening or carry a stream. Default
// DefaultMaxConnsPerSource.
func WithMaxConnsPerSource(n int) Option {
	return func(o *Options) { positive(&o.MaxConnsPerSource, n) }
}

// WithAcceptTimeout bounds how long a new inbound TCP connection may take
// to send its preamble. Default DefaultAcceptTimeout.
func WithAcceptTimeout(d time.Duration) Option {
	return func(o *Options) { positive(&o.AcceptTimeout, d) }
}

// WithIdleTimeout sets how long a TCP packet connection may stay silent.
// Default DefaultIdleTimeout.
func WithIdleTimeout(d time.Duration) Option {
	return func(o *Options) { positive(&o.IdleTimeout, d) }
}

// WithIOTimeout bounds each frame read and write, dial and handshake.
// Default DefaultIOTimeout.
func WithIOTimeout(d time.Duration) Option { return func(o *Options) { positive(&o.IOTimeout, d) } }

// WithStreamTimeout sets the initial deadline of every stream returned by
// DialStream or served by the Handler. Default DefaultStreamTimeout.
func WithStreamTimeout(d time.Duration) Option {
	return func(o *Options) { positive(&o.StreamTimeout, d) }
}

// WithMaxFrame sets the largest TCP packet frame in bytes. Default
// DefaultMaxFrame; never less than the packet size.
func WithMaxFrame(n int) Option { return func(o *Options) { positive(&o.MaxFrame, n) } }

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithCounters makes the transport count into c, so several layers can
// share one set of counters. Default: a fresh stats.Counters.
func WithCounters(c *stats.Counters) Option { return func(o *Options) { o.Counters = c } }

// WithoutPackets makes a TCP transport carry streams only and refuse packet
// connections. The hybrid transport sets it.
func WithoutPackets() Option { return func(o *Options) { o.NoPackets = true } }

// AdvertiseAddr returns the address to report for a socket asked to bind
// bind ("host:port") and actually bound to bound, given the advertise
// setting: advertise's host (and port, when it has a non-zero one) win;
// otherwise the bound address. A wildcard bind is replaced by the first
// global unicast address of an interface of the bind's family: IPv4 for
// "0.0.0.0" and for an empty host, IPv6 for "::" (loopback of that family
// if there is none). The family comes from bind, not from bound, because
// the system may serve an IPv4 wildcard with a dual-stack IPv6 socket.
//
// It also returns how the address was chosen, for the log: "advertise",
// "bind", or "interface (IPv4)" / "interface (IPv6)".
func AdvertiseAddr(bind string, bound netip.AddrPort, advertise string) (addr, how string, err error) {
	host, port := "", bound.Port()
	how = "bind"
	if advertise != "" {
		h, p, err := net.SplitHostPort(advertise)
		if err != nil {
			h = advertise
			p = ""
			if ip, perr := netip.ParseAddr(advertise); perr == nil && ip.Is6() {
				h = ip.String()
			}
		}
		if p != "" {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil {
				return "", "", fmt.Errorf("%w: advertise port %q", ErrAddress, p)
			}
			if n != 0 {
				port = uint16(n)
			}
		}
		host, how = h, "advertise"
	}
	if host == "" {
		ip := bound.Addr().Unmap()
		if ip.IsUnspecified() {
			v6 := false
			if h, _, err := net.SplitHostPort(bind); err == nil {
				if bip, err := netip.ParseAddr(h); err == nil {
					v6 = bip.Is6() && !bip.Is4In6()
				}
			}
			ip = interfaceAddr(v6)
			how = "interface (IPv4)"
			if v6 {
				how = "interface (IPv6)"
			}
		}
		host = ip.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port))), how, nil
}

func interfaceAddr(v6 bool) netip.Addr {
	var addrs []net.Addr
	if a, err := net.InterfaceAddrs(); err == nil {
		addrs = a
	}
	return pickAddr(addrs, v6)
}

// pickAddr returns the first global unicast address of the family in
// addrs, or that family's loopback.
func pickAddr(addrs []net.Addr, v6 bool) netip.Addr {
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := pfx.Addr()
		if ip.IsGlobalUnicast() && ip.Is6() == v6 && !ip.Is4In6() {
			return ip
		}
	}
	if v6 {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// AddrPortOf returns a's IP and port with any IPv4-in-IPv6 mapping removed.
func AddrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// CloseAll closes every non-nil closer and joins their errors.
func CloseAll(cs ...io.Closer) error {
	var errs []error
	for _, c := range cs {
		if c != nil {
			if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// CheckState is the lifecycle rule every socket transport applies, given
// whether it has been started and closed: it returns ErrClosed after Close,
// ErrStarted when want is false (a second Start) but it has started, and
// ErrNotStarted when want is true (I/O) but it has not.
func CheckState(started, closed, want bool) error {
	switch {
	case closed:
		return ErrClosed
	case started && !want:
		return ErrStarted
	case !started && want:
		return ErrNotStarted
	}
	return nil
}
