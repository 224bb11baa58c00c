package core

import "fmt"

// An Option tunes how a Core holds its state in memory, for processes that
// run many cores at once (the simulator). Options do not change the
// protocol; its settings are in Config.
type Option func(*options) error

type options struct {
	sizeHint int
	intern   func([]byte) string
	names    *Names
}

// MaxSizeHint is the largest accepted WithSizeHint.
const MaxSizeHint = 1 << 20

// WithSizeHint allocates the member table for n members up front (at most
// Config.MaxMembers), which saves memory when many cores share a process.
// Default 0: grow as needed. n must be in [0, MaxSizeHint].
func WithSizeHint(n int) Option {
	return func(o *options) error {
		if n < 0 || n > MaxSizeHint {
			return fmt.Errorf("%w: size hint must be in [0, %d] (got %d)", ErrConfig, MaxSizeHint, n)
		}
		o.sizeHint = n
		return nil
	}
}

// WithIntern makes the decoder share identical strings (ids, addresses,
// metadata) through fn, for many cores in one process. fn is called only
// from the core's caller's goroutine, during HandleMessage and
// HandleStreamMessage, and must not retain its argument.
func WithIntern(fn func([]byte) string) Option {
	return func(o *options) error {
		o.intern = fn
		return nil
	}
}

// WithNames makes the core number member ids and keep their identities in
// n, which many cores in one process may share (see Names); the cores must
// then be driven from one goroutine. Default: a private table per core.
func WithNames(n *Names) Option {
	return func(o *options) error {
		if n == nil || !n.shared {
			return fmt.Errorf("%w: WithNames needs a table from NewNames", ErrConfig)
		}
		o.names = n
		return nil
	}
}
