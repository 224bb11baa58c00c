package bench

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/libgossip/libgossip/gossip"
)

// ErrDialRefused is returned by a stream dial that DialFaults failed on
// purpose.
var ErrDialRefused = errors.New("bench: stream dial refused by fault")

// DialFaults fails a member's outgoing stream dials at a rate, as a
// congested or firewalled network does to TCP connections. package fault
// leaves streams intact under packet loss; DialFaults sits in front of its
// wrappers in both adapters, so both libraries see the same dial failures.
// The zero rate passes every dial through. Safe for concurrent use; the
// rate may change at any time and applies to the next dial.
type DialFaults struct {
	rate    atomic.Uint64 // float64 bits
	refused atomic.Uint64
	mu      sync.Mutex
	rng     *rand.Rand
}

// NewDialFaults returns a DialFaults with rate 0 whose random choices come
// from seed.
func NewDialFaults(seed uint64) *DialFaults {
	return &DialFaults{rng: rand.New(rand.NewPCG(seed, 0x6469616c))}
}

// SetRate sets the probability, in [0, 1], that a dial fails.
func (d *DialFaults) SetRate(p float64) { d.rate.Store(math.Float64bits(p)) }

// Refused returns how many dials were failed on purpose so far.
func (d *DialFaults) Refused() uint64 { return d.refused.Load() }

// refuse decides the fate of one dial.
func (d *DialFaults) refuse() bool {
	p := math.Float64frombits(d.rate.Load())
	if p <= 0 {
		return false
	}
	if p < 1 {
		d.mu.Lock()
		x := d.rng.Float64()
		d.mu.Unlock()
		if x >= p {
			return false
		}
	}
	d.refused.Add(1)
	return true
}

// gossipDials is a gossip.Transport whose DialStream fails at d's rate.
type gossipDials struct {
	gossip.Transport
	d *DialFaults
}

func (g gossipDials) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	if g.d.refuse() {
		return nil, ErrDialRefused
	}
	return g.Transport.DialStream(ctx, addr)
}

// memberlistDials is a memberlist.Transport whose DialTimeout fails at d's
// rate.
type memberlistDials struct {
	memberlist.Transport
	d *DialFaults
}

func (m memberlistDials) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if m.d.refuse() {
		return nil, ErrDialRefused
	}
	return m.Transport.DialTimeout(addr, timeout)
}
