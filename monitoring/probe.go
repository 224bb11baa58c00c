package monitoring

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/wire"
)

// ProbeTimer times this member's probes: a transport middleware notes when
// each ping leaves and matches the ack that answers it, giving the probe
// round-trip time to each member. Install it innermost of the protocol's
// view, outside encryption (it reads plain packets of the binary codec;
// other codecs are not timed):
//
//	pt := monitoring.NewProbeTimer()
//	node, _ := gossip.New(cfg, gossip.Chain(transport, pt.Middleware))
//	mon, _ := monitoring.Instrument(node, monitoring.WithProbeTimer(pt))
//
// It only reads packets, never changes or delays them, and holds at most
// 4,096 unanswered pings (older ones are forgotten). All methods are safe
// for concurrent use.
type ProbeTimer struct {
	mu      sync.Mutex
	pending map[uint32]sentPing      // by sequence number
	rtt     map[string]time.Duration // smoothed, by member id
	hook    atomic.Pointer[func(target string, d time.Duration)]
}

type sentPing struct {
	target string
	at     time.Time
}

const (
	maxPendingPings = 4096
	pendingPingTTL  = 10 * time.Second
	maxTimedMembers = 65536
)

// NewProbeTimer returns a ProbeTimer with nothing timed yet.
func NewProbeTimer() *ProbeTimer {
	return &ProbeTimer{pending: map[uint32]sentPing{}, rtt: map[string]time.Duration{}}
}

// Middleware wraps t so that this timer sees its packets; it has the
// signature of gossip.Middleware.
func (p *ProbeTimer) Middleware(t gossip.Transport) gossip.Transport {
	return &timedTransport{Transport: t, p: p}
}

// RTT returns the smoothed probe round-trip time to the member id (an
// exponentially weighted mean, weight 1/4 for the newest sample) and
// whether any probe to it was answered.
func (p *ProbeTimer) RTT(id string) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.rtt[id]
	return d, ok
}

// observe sets the function called with each new sample (nil: none).
func (p *ProbeTimer) observe(fn func(target string, d time.Duration)) {
	if fn == nil {
		p.hook.Store(nil)
		return
	}
	p.hook.Store(&fn)
}

// sent notes the pings in an outgoing packet; the clock is read only when
// there is one.
func (p *ProbeTimer) sent(b []byte) {
	walkPacket(b, func(t wire.Type, body []byte) {
		if t != wire.TypePing {
			return
		}
		seq, target, ok := peekPing(body)
		if !ok {
			return
		}
		now := time.Now()
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.pending) >= maxPendingPings {
			for s, sp := range p.pending {
				if now.Sub(sp.at) > pendingPingTTL {
					delete(p.pending, s)
				}
			}
			if len(p.pending) >= maxPendingPings {
				return
			}
		}
		p.pending[seq] = sentPing{target: target, at: now}
	})
}

// received matches the acks of an incoming packet read at now (the zero
// time: read the clock when an ack matches).
func (p *ProbeTimer) received(b []byte, now time.Time) {
	walkPacket(b, func(t wire.Type, body []byte) {
		if t != wire.TypeAck {
			return
		}
		seq, k := binary.Uvarint(body)
		if k <= 0 || seq > 1<<32-1 {
			return
		}
		p.mu.Lock()
		sp, ok := p.pending[uint32(seq)]
		if !ok {
			p.mu.Unlock()
			return
		}
		delete(p.pending, uint32(seq))
		if now.IsZero() {
			now = time.Now()
		}
		d := now.Sub(sp.at)
		if d < 0 {
			d = 0
		}
		if old, ok := p.rtt[sp.target]; ok {
			p.rtt[sp.target] = old + (d-old)/4
		} else if len(p.rtt) < maxTimedMembers {
			p.rtt[sp.target] = d
		}
		p.mu.Unlock()
		if fn := p.hook.Load(); fn != nil {
			(*fn)(sp.target, d)
		}
	})
}

// walkPacket calls fn with each message of a binary wire packet, reading
// only the framing (type and body length); it stops at the first thing that
// is not valid framing and never allocates.
func walkPacket(b []byte, fn func(t wire.Type, body []byte)) {
	if len(b) < wire.HeaderSize || b[0] != wire.Version {
		return
	}
	b = b[wire.HeaderSize:]
	for len(b) > 0 {
		t := wire.Type(b[0])
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)-1-k) {
			return
		}
		start := 1 + k
		fn(t, b[start:start+int(n)])
		b = b[start+int(n):]
	}
}

// peekPing reads a Ping body's sequence number and target id.
func peekPing(body []byte) (seq uint32, target string, ok bool) {
	s, k := binary.Uvarint(body)
	if k <= 0 || s > 1<<32-1 {
		return 0, "", false
	}
	body = body[k:]
	for i := 0; i < 2; i++ { // source, then target
		n, k := binary.Uvarint(body)
		if k <= 0 || n > wire.MaxIDLen || n > uint64(len(body)-k) {
			return 0, "", false
		}
		if i == 1 {
			return uint32(s), string(body[k : k+int(n)]), true
		}
		body = body[k+int(n):]
	}
	return 0, "", false
}

type timedTransport struct {
	gossip.Transport
	p *ProbeTimer
}

func (t *timedTransport) Start(ctx context.Context, h gossip.Handler) error {
	return t.Transport.Start(ctx, timedHandler{Handler: h, p: t.p})
}

func (t *timedTransport) WritePacket(ctx context.Context, addr string, b []byte) error {
	// Noted before the write: on a fast network the ack can arrive before
	// WritePacket returns. A ping that was not sent expires unanswered.
	t.p.sent(b)
	return t.Transport.WritePacket(ctx, addr, b)
}

// TryWritePacket forwards gossip.PacketTryWriter when the inner transport
// offers it, so that timing probes does not send every packet through the
// Node's sender goroutines. Noting the ping never waits.
func (t *timedTransport) TryWritePacket(addr string, b []byte) error {
	tw, ok := t.Transport.(gossip.PacketTryWriter)
	if !ok {
		return gossip.ErrWouldBlock
	}
	t.p.sent(b)
	return tw.TryWritePacket(addr, b)
}

type timedHandler struct {
	gossip.Handler
	p *ProbeTimer
}

func (h timedHandler) HandlePacket(pk gossip.Packet) {
	h.p.received(pk.Data, pk.Received)
	h.Handler.HandlePacket(pk)
}
