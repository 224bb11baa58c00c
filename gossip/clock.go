package gossip

import "time"

// Clock is the time source of a Node: the protocol's now, its timers, and
// the deadlines of queued messages. The default reads the system clock
// (which testing/synctest virtualizes inside a bubble). Implementations must
// be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's one-shot timer, with the semantics of *time.Timer
// (Go 1.23 and later: Reset and Stop leave no stale value in C).
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Reset re-arms the timer to fire d from now.
	Reset(d time.Duration) bool
	// Stop disarms the timer.
	Stop() bool
}

// SystemClock is the default Clock: the time package.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time        { return s.t.C }
func (s sysTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }
func (s sysTimer) Stop() bool                 { return s.t.Stop() }
