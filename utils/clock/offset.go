package clock

import (
	"fmt"
	"sync"
	"time"
)

// Sample is one round trip to a peer. T0 and T3 are read from the local
// clock, T1 and T2 from the peer's clock (sent back in its reply).
type Sample struct {
	T0 time.Time // local clock, request sent
	T1 time.Time // peer clock, request received
	T2 time.Time // peer clock, reply sent
	T3 time.Time // local clock, reply received
}

// Offset returns θ = ((T1−T0) + (T2−T3)) / 2: how far the peer's clock is
// ahead of the local one (negative if behind), exact when the two legs of
// the round trip take equal time.
func (s Sample) Offset() time.Duration {
	return (s.T1.Sub(s.T0) + s.T2.Sub(s.T3)) / 2
}

// Delay returns δ = (T3−T0) − (T2−T1): the round-trip time spent on the
// network, excluding the peer's processing time.
func (s Sample) Delay() time.Duration {
	return s.T3.Sub(s.T0) - s.T2.Sub(s.T1)
}

// Validate returns an error wrapping ErrInvalidSample if a time is zero, the
// peer's processing time T2−T1 is negative, the local round trip T3−T0 is
// negative, or the delay is negative.
func (s Sample) Validate() error {
	switch {
	case s.T0.IsZero() || s.T1.IsZero() || s.T2.IsZero() || s.T3.IsZero():
		return fmt.Errorf("%w: zero time", ErrInvalidSample)
	case s.T2.Before(s.T1):
		return fmt.Errorf("%w: peer replied (t2) before it received (t1)", ErrInvalidSample)
	case s.T3.Before(s.T0):
		return fmt.Errorf("%w: reply received (t3) before request sent (t0)", ErrInvalidSample)
	case s.Delay() < 0:
		return fmt.Errorf("%w: negative delay %v", ErrInvalidSample, s.Delay())
	}
	return nil
}

// Estimate is an estimated clock offset of a peer.
type Estimate struct {
	// Offset is how far the peer's clock is ahead of the local clock
	// (negative if behind), from the sample with the least delay.
	Offset time.Duration
	// Uncertainty is half that sample's delay: the true offset lies within
	// Offset ± Uncertainty, whatever the asymmetry of the network.
	Uncertainty time.Duration
	// Delay is that sample's round-trip network delay.
	Delay time.Duration
	// Samples is the number of samples in the window.
	Samples int
}

// DefaultWindow is the per-peer sample window used when
// EstimatorConfig.Window is zero (NTP's clock filter also keeps 8).
const DefaultWindow = 8

// EstimatorConfig configures an Estimator. The zero value is valid.
type EstimatorConfig struct {
	// Window is the number of most recent samples kept per peer. Zero means
	// DefaultWindow (8); negative is an error.
	Window int
}

// Estimator estimates the clock offset of peers from round-trip samples. It
// keeps up to Window samples per peer (memory grows with the number of peers
// until Forget). It is safe for concurrent use.
type Estimator struct {
	window int

	mu    sync.Mutex
	peers map[string]*ringBuf
}

// ringBuf holds the last samples of one peer.
type ringBuf struct {
	samples []Sample
	next    int
}

// NewEstimator returns an Estimator, or an error wrapping ErrInvalidConfig.
func NewEstimator(cfg EstimatorConfig) (*Estimator, error) {
	if cfg.Window < 0 {
		return nil, fmt.Errorf("%w: Window %d is negative", ErrInvalidConfig, cfg.Window)
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	return &Estimator{window: cfg.Window, peers: map[string]*ringBuf{}}, nil
}

// Add records a sample for peer, replacing its oldest when the window is
// full. It returns an error wrapping ErrInvalidSample, and records nothing,
// if s.Validate fails.
func (e *Estimator) Add(peer string, s Sample) error {
	if err := s.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rb := e.peers[peer]
	if rb == nil {
		rb = &ringBuf{samples: make([]Sample, 0, e.window)}
		e.peers[peer] = rb
	}
	if len(rb.samples) < e.window {
		rb.samples = append(rb.samples, s)
		return nil
	}
	rb.samples[rb.next] = s
	rb.next = (rb.next + 1) % e.window
	return nil
}

// Offset returns the estimate for peer from the sample with the least delay
// in its window (the most recent one among equals). It returns an error
// wrapping ErrNoSamples if peer has none.
func (e *Estimator) Offset(peer string) (Estimate, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rb := e.peers[peer]
	if rb == nil {
		return Estimate{}, fmt.Errorf("%w: %q", ErrNoSamples, peer)
	}
	n := len(rb.samples)
	var best Sample
	bestDelay := time.Duration(-1)
	// Walk from newest to oldest so that ties go to the newest sample.
	for k := range n {
		s := rb.samples[(rb.next-1-k+2*n)%n]
		if d := s.Delay(); bestDelay < 0 || d < bestDelay {
			best, bestDelay = s, d
		}
	}
	return Estimate{
		Offset:      best.Offset(),
		Uncertainty: bestDelay / 2,
		Delay:       bestDelay,
		Samples:     n,
	}, nil
}

// Forget drops all samples of peer.
func (e *Estimator) Forget(peer string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.peers, peer)
}

// Peers returns the number of peers with samples.
func (e *Estimator) Peers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.peers)
}
