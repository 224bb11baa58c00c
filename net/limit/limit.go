package limit

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/utils/ratelimit"
)

// ErrRateLimited is returned by WritePacket for a packet over the outbound
// budget.
var ErrRateLimited = errors.New("net/limit: outbound rate limit exceeded")

// DefaultMaxSources is the default number of source addresses tracked.
const DefaultMaxSources = 4096

type options struct {
	outRate, inRate   rate.Limit
	outBurst, inBurst int
	maxSources        int
	counters          *stats.Counters
}

// Option configures Wrap.
type Option func(*options)

// WithOutbound limits the packets the node sends, to r per second with
// bursts of burst. Default: unlimited.
func WithOutbound(r rate.Limit, burst int) Option {
	return func(o *options) { o.outRate, o.outBurst = r, max(burst, 1) }
}

// WithInbound limits the packets accepted from each source address, to r
// per second with bursts of burst. Default: unlimited.
func WithInbound(r rate.Limit, burst int) Option {
	return func(o *options) { o.inRate, o.inBurst = r, max(burst, 1) }
}

// WithMaxSources bounds the number of source addresses tracked. Default
// DefaultMaxSources.
func WithMaxSources(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxSources = n
		}
	}
}

// WithCounters counts drops into c. Default: a fresh stats.Counters.
func WithCounters(c *stats.Counters) Option { return func(o *options) { o.counters = c } }

// Transport is a rate-limited gossip.Transport. It starts no goroutine of
// its own: inbound packets are checked inside the inner transport's calls to
// its Handler, against a utils/ratelimit.Keyed limiter keyed by source
// address. It is safe for concurrent use.
type Transport struct {
	inner gossip.Transport
	o     options
	c     *stats.Counters
	out   *rate.Limiter    // nil: unlimited
	in    *ratelimit.Keyed // nil: unlimited
	err   error            // invalid options, returned by Start
}

var (
	_ gossip.Transport       = (*Transport)(nil)
	_ gossip.PacketTryWriter = (*Transport)(nil)
)

// Middleware returns a gossip.Middleware that applies Wrap with opts.
func Middleware(opts ...Option) gossip.Middleware {
	return func(inner gossip.Transport) gossip.Transport { return Wrap(inner, opts...) }
}

// Wrap returns inner with rate limits. The wrapper owns inner: its Start
// and Close start and close inner. A rate of zero or less means unlimited.
// Limits the keyed limiter refuses make Start fail with an error wrapping
// ratelimit's.
func Wrap(inner gossip.Transport, opts ...Option) *Transport {
	o := options{maxSources: DefaultMaxSources}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.counters == nil {
		o.counters = stats.New()
	}
	t := &Transport{inner: inner, o: o, c: o.counters}
	if o.outRate > 0 {
		t.out = rate.NewLimiter(o.outRate, o.outBurst)
	}
	if o.inRate > 0 {
		t.in, t.err = ratelimit.New(o.inRate, o.inBurst, ratelimit.WithMaxKeys(o.maxSources))
		if t.err != nil {
			t.err = fmt.Errorf("net/limit: inbound limit: %w", t.err)
		}
	}
	return t
}

// Start starts the inner transport with a Handler that drops packets over
// their source's budget before handing the rest to h.
func (t *Transport) Start(ctx context.Context, h gossip.Handler) error {
	if h == nil {
		return errors.New("net/limit: nil handler")
	}
	if t.err != nil {
		return t.err
	}
	return t.inner.Start(ctx, handler{t: t, next: h})
}

// Addr returns the inner transport's address.
func (t *Transport) Addr() string { return t.inner.Addr() }

// PacketSize returns the inner transport's packet size.
func (t *Transport) PacketSize() int { return t.inner.PacketSize() }

// Stats returns a snapshot of the wrapper's counters.
func (t *Transport) Stats() stats.Snapshot { return t.c.Snapshot() }

// WritePacket sends b through the inner transport if the outbound budget
// allows, and fails with ErrRateLimited otherwise.
func (t *Transport) WritePacket(ctx context.Context, addr string, b []byte) error {
	if t.out != nil && !t.out.Allow() {
		t.c.Drop(stats.RateLimit)
		return ErrRateLimited
	}
	return t.inner.WritePacket(ctx, addr, b)
}

// TryWritePacket is WritePacket for a caller that must not wait
// (gossip.PacketTryWriter): the outbound budget is checked without
// waiting. It refuses with gossip.ErrWouldBlock, spending no budget, when
// the inner transport cannot send without waiting at all; a packet the
// inner transport refuses after the budget allowed it is charged again if
// it is then sent with WritePacket.
func (t *Transport) TryWritePacket(addr string, b []byte) error {
	tw, ok := t.inner.(gossip.PacketTryWriter)
	if !ok {
		return gossip.ErrWouldBlock
	}
	if t.out != nil && !t.out.Allow() {
		t.c.Drop(stats.RateLimit)
		return ErrRateLimited
	}
	return tw.TryWritePacket(addr, b)
}

// DialStream opens a stream through the inner transport.
func (t *Transport) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	return t.inner.DialStream(ctx, addr)
}

// allow reports whether a packet from addr is within its budget.
func (t *Transport) allow(addr string) bool {
	return t.in == nil || t.in.Allow(addr)
}

// Sources returns the number of source addresses tracked.
func (t *Transport) Sources() int {
	if t.in == nil {
		return 0
	}
	return t.in.Len()
}

// handler is the Handler the wrapper gives the inner transport.
type handler struct {
	t    *Transport
	next gossip.Handler
}

// HandlePacket passes p on if its source is within budget, and drops and
// counts it otherwise.
func (h handler) HandlePacket(p gossip.Packet) {
	if !h.t.allow(p.From) {
		h.t.c.Drop(stats.RateLimit)
		return
	}
	h.next.HandlePacket(p)
}

// HandleStream passes the stream on unchanged.
func (h handler) HandleStream(conn net.Conn) { h.next.HandleStream(conn) }

// Close closes the inner transport.
func (t *Transport) Close() error { return t.inner.Close() }
