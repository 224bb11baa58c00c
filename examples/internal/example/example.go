package example

import (
	"errors"
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

// PollInterval is how often WaitFor checks its condition.
const PollInterval = 10 * time.Millisecond

// ErrTimeout is returned by WaitFor when the condition did not hold in time.
var ErrTimeout = errors.New("example: timed out")

// WaitFor calls cond every PollInterval until it returns true (nil) or
// timeout has passed (ErrTimeout). It blocks the caller; cond runs on the
// calling goroutine.
func WaitFor(timeout time.Duration, cond func() bool) error {
	_, err := WaitForTimed(timeout, cond)
	return err
}

// WaitForTimed is WaitFor that also returns how long the wait took.
func WaitForTimed(timeout time.Duration, cond func() bool) (time.Duration, error) {
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > timeout {
			return time.Since(t0), ErrTimeout
		}
		time.Sleep(PollInterval)
	}
	return time.Since(t0), nil
}

// AllLive returns a condition for WaitFor: every node in nodes sees exactly
// n live (alive or suspect) members, itself included.
func AllLive(n int, nodes ...*gossip.Node) func() bool {
	return func() bool {
		for _, nd := range nodes {
			if len(nd.LiveMembers()) != n {
				return false
			}
		}
		return true
	}
}

// Quiet returns a logger that discards everything: the examples print their
// own narrative instead of the library's logs.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
