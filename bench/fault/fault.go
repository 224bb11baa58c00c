package fault

import (
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by the wrappers.
var (
	// ErrDown is returned by dials from or through an injector that is
	// down.
	ErrDown = errors.New("fault: member is down")
	// ErrClosed is returned by a wrapper used after Close.
	ErrClosed = errors.New("fault: transport closed")
)

// Injector is one member's fault policy and traffic counters. The zero
// value is not usable; call New.
type Injector struct {
	mu  sync.Mutex
	rng *rand.Rand

	loss     atomic.Uint64 // float64 bits
	recvLoss atomic.Uint64 // float64 bits
	delay    atomic.Int64  // ns
	jitter   atomic.Int64  // ns
	down     atomic.Bool

	packets     atomic.Uint64
	bytes       atomic.Uint64
	streamBytes atomic.Uint64
	streams     atomic.Uint64
	dropped     atomic.Uint64
}

// New returns an Injector with no faults whose random choices come from
// seed.
func New(seed uint64) *Injector {
	return &Injector{rng: rand.New(rand.NewPCG(seed, 0x6661756c74))}
}

// SetLoss sets the outbound packet loss probability, in [0, 1].
func (in *Injector) SetLoss(p float64) { in.loss.Store(math.Float64bits(p)) }

// SetRecvLoss sets the inbound packet (and stream) loss probability, in
// [0, 1].
func (in *Injector) SetRecvLoss(p float64) { in.recvLoss.Store(math.Float64bits(p)) }

// RecvLoss returns the inbound loss probability.
func (in *Injector) RecvLoss() float64 { return math.Float64frombits(in.recvLoss.Load()) }

// SetDelay sets the outbound packet delay and jitter.
func (in *Injector) SetDelay(delay, jitter time.Duration) {
	in.delay.Store(int64(delay))
	in.jitter.Store(int64(jitter))
}

// SetDown switches the member off the network (true) or back on.
func (in *Injector) SetDown(down bool) { in.down.Store(down) }

// Counters are what a member sent, counted before any fault drops it.
type Counters struct {
	// Packets and Bytes count WritePacket calls and their payload bytes.
	Packets, Bytes uint64
	// Streams counts streams dialed; StreamBytes counts bytes written to
	// any stream, dialed or accepted.
	Streams, StreamBytes uint64
	// Dropped counts packets the injector dropped, either direction.
	Dropped uint64
}

// Sub returns c minus o, field by field.
func (c Counters) Sub(o Counters) Counters {
	return Counters{c.Packets - o.Packets, c.Bytes - o.Bytes, c.Streams - o.Streams, c.StreamBytes - o.StreamBytes, c.Dropped - o.Dropped}
}

// Add returns c plus o, field by field.
func (c Counters) Add(o Counters) Counters {
	return Counters{c.Packets + o.Packets, c.Bytes + o.Bytes, c.Streams + o.Streams, c.StreamBytes + o.StreamBytes, c.Dropped + o.Dropped}
}

// Counters returns a snapshot of the counters.
func (in *Injector) Counters() Counters {
	return Counters{in.packets.Load(), in.bytes.Load(), in.streams.Load(), in.streamBytes.Load(), in.dropped.Load()}
}

func (in *Injector) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.rng.Float64() < p
}

// Outbound counts one packet of n bytes and decides its fate: drop it, or
// send it after wait (zero: now).
func (in *Injector) Outbound(n int) (drop bool, wait time.Duration) {
	in.packets.Add(1)
	in.bytes.Add(uint64(n))
	if in.down.Load() || in.chance(math.Float64frombits(in.loss.Load())) {
		in.dropped.Add(1)
		return true, 0
	}
	wait = time.Duration(in.delay.Load())
	if j := in.jitter.Load(); j > 0 {
		in.mu.Lock()
		wait += time.Duration(in.rng.Int64N(j))
		in.mu.Unlock()
	}
	return false, wait
}

// Inbound decides whether a received packet (or accepted stream) is
// dropped.
func (in *Injector) Inbound() (drop bool) {
	if in.down.Load() || in.chance(in.RecvLoss()) {
		in.dropped.Add(1)
		return true
	}
	return false
}

// Dial reports whether the member may open a stream now.
func (in *Injector) Dial() error {
	if in.down.Load() {
		return ErrDown
	}
	in.streams.Add(1)
	return nil
}

// Conn wraps c so that bytes written to it are counted as sent.
func (in *Injector) Conn(c net.Conn) net.Conn { return &countConn{Conn: c, in: in} }

type countConn struct {
	net.Conn
	in *Injector
}

func (c *countConn) Write(b []byte) (int, error) {
	if c.in.down.Load() {
		return 0, ErrDown
	}
	n, err := c.Conn.Write(b)
	c.in.streamBytes.Add(uint64(n))
	return n, err
}

// later runs fn after d on a goroutine tracked by wg, or not at all if
// done closes first.
func later(wg *sync.WaitGroup, done <-chan struct{}, d time.Duration, fn func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			fn()
		case <-done:
		}
	}()
}
