package clock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Errors returned by this package. Callers test them with [errors.Is].
var (
	// ErrSkew is matched by a *SkewError: a remote timestamp was too far
	// ahead of the local physical clock and was not adopted.
	ErrSkew = errors.New("clock: remote timestamp too far ahead")
	// ErrInvalidConfig is returned by constructors for an invalid config.
	ErrInvalidConfig = errors.New("clock: invalid config")
	// ErrInvalidEncoding is returned when decoding a malformed timestamp.
	ErrInvalidEncoding = errors.New("clock: invalid timestamp encoding")
	// ErrInvalidSample is returned by Estimator.Add for a sample that cannot
	// come from a real round trip (negative delay or processing time, or a
	// zero time).
	ErrInvalidSample = errors.New("clock: invalid round-trip sample")
	// ErrNoSamples is returned by Estimator.Offset for a peer without samples.
	ErrNoSamples = errors.New("clock: no samples for peer")
)

// EncodedLen is the length in bytes of an encoded Timestamp.
const EncodedLen = 12

// Timestamp is a hybrid logical clock reading. The zero value is the
// smallest timestamp. Timestamps are values; compare them with Compare.
type Timestamp struct {
	// Wall is the physical part in nanoseconds since the Unix epoch.
	// Valid timestamps have Wall >= 0.
	Wall int64
	// Logical orders events that share the same Wall.
	Logical uint32
}

// Compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t Timestamp) Compare(u Timestamp) int {
	switch {
	case t.Wall < u.Wall:
		return -1
	case t.Wall > u.Wall:
		return 1
	case t.Logical < u.Logical:
		return -1
	case t.Logical > u.Logical:
		return 1
	}
	return 0
}

// Before reports whether t happened before u.
func (t Timestamp) Before(u Timestamp) bool { return t.Compare(u) < 0 }

// IsZero reports whether t is the zero Timestamp.
func (t Timestamp) IsZero() bool { return t == Timestamp{} }

// Time returns the physical part as a time.Time (in UTC).
func (t Timestamp) Time() time.Time { return time.Unix(0, t.Wall).UTC() }

// String formats t as "<wall ns>.<logical>".
func (t Timestamp) String() string { return fmt.Sprintf("%d.%d", t.Wall, t.Logical) }

// AppendBinary appends the 12-byte encoding of t to b: Wall as big-endian
// uint64, then Logical as big-endian uint32. For valid timestamps (Wall >= 0)
// bytewise order equals time order. It implements encoding.BinaryAppender.
func (t Timestamp) AppendBinary(b []byte) ([]byte, error) {
	if t.Wall < 0 {
		return b, fmt.Errorf("%w: negative wall time %d", ErrInvalidEncoding, t.Wall)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(t.Wall))
	return binary.BigEndian.AppendUint32(b, t.Logical), nil
}

// MarshalBinary returns the 12-byte encoding of t (see AppendBinary). It
// fails only for a negative Wall.
func (t Timestamp) MarshalBinary() ([]byte, error) {
	return t.AppendBinary(make([]byte, 0, EncodedLen))
}

// UnmarshalBinary decodes a 12-byte encoding into t. It returns an error
// wrapping ErrInvalidEncoding, and leaves t unchanged, if data is not exactly
// EncodedLen bytes or encodes a negative wall time. It never panics.
func (t *Timestamp) UnmarshalBinary(data []byte) error {
	if len(data) != EncodedLen {
		return fmt.Errorf("%w: %d bytes, want %d", ErrInvalidEncoding, len(data), EncodedLen)
	}
	w := binary.BigEndian.Uint64(data)
	if w > math.MaxInt64 {
		return fmt.Errorf("%w: wall time out of range", ErrInvalidEncoding)
	}
	*t = Timestamp{Wall: int64(w), Logical: binary.BigEndian.Uint32(data[8:])}
	return nil
}

// SkewError reports a remote timestamp refused by HLC.Update. It matches
// ErrSkew with errors.Is.
type SkewError struct {
	// Remote is the refused timestamp.
	Remote Timestamp
	// Offset is how far Remote is ahead of the local physical clock.
	Offset time.Duration
	// MaxSkew is the configured bound that Offset exceeded.
	MaxSkew time.Duration
}

// Error implements error.
func (e *SkewError) Error() string {
	return fmt.Sprintf("%v: %v ahead, max %v", ErrSkew, e.Offset, e.MaxSkew)
}

// Unwrap returns ErrSkew.
func (e *SkewError) Unwrap() error { return ErrSkew }

// DefaultMaxSkew is the skew bound used when Config.MaxSkew is zero.
const DefaultMaxSkew = 500 * time.Millisecond

// Config configures an HLC. It is passed by value; the zero value is valid.
type Config struct {
	// Physical reads the physical clock. Nil means time.Now. It is called
	// with the HLC's lock held and must not call back into the HLC.
	Physical func() time.Time
	// MaxSkew bounds how far a remote timestamp may be ahead of the local
	// physical clock and still be adopted by Update. Zero means
	// DefaultMaxSkew (500ms); negative is an error.
	MaxSkew time.Duration
}

// HLC is a hybrid logical clock. It is safe for concurrent use; Now and
// Update never block on anything but its internal mutex.
type HLC struct {
	physical func() time.Time
	maxSkew  time.Duration

	mu   sync.Mutex
	last Timestamp
}

// New returns an HLC, or an error wrapping ErrInvalidConfig.
func New(cfg Config) (*HLC, error) {
	if cfg.MaxSkew < 0 {
		return nil, fmt.Errorf("%w: MaxSkew %v is negative", ErrInvalidConfig, cfg.MaxSkew)
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.Physical == nil {
		cfg.Physical = time.Now
	}
	return &HLC{physical: cfg.Physical, maxSkew: cfg.MaxSkew}, nil
}

// pt reads the physical clock as nanoseconds, clamped to be non-negative.
func (c *HLC) pt() int64 { return max(0, c.physical().UnixNano()) }

// tick advances the logical counter of ts by one; on overflow it moves Wall
// forward by a nanosecond instead, so timestamps stay strictly increasing.
func tick(ts Timestamp) Timestamp {
	if ts.Logical == math.MaxUint32 {
		return Timestamp{Wall: ts.Wall + 1}
	}
	ts.Logical++
	return ts
}

// Now returns a timestamp for a local or send event, strictly greater than
// every timestamp this clock returned or adopted before.
func (c *HLC) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pt := c.pt(); pt > c.last.Wall {
		c.last = Timestamp{Wall: pt}
	} else {
		c.last = tick(c.last)
	}
	return c.last
}

// Update merges a timestamp received from a peer and returns the timestamp of
// the receive event, strictly greater than both remote and every earlier
// timestamp of this clock.
//
// If remote.Wall is more than MaxSkew ahead of the local physical clock, the
// clock is left unchanged and Update returns the zero Timestamp and a
// *SkewError (matching ErrSkew) with the offset.
func (c *HLC) Update(remote Timestamp) (Timestamp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.pt()
	// remote.Wall > pt >= 0, so the subtraction cannot overflow.
	if remote.Wall > pt && remote.Wall-pt > int64(c.maxSkew) {
		return Timestamp{}, &SkewError{Remote: remote, Offset: time.Duration(remote.Wall - pt), MaxSkew: c.maxSkew}
	}
	l := c.last
	switch w := max(l.Wall, remote.Wall, pt); {
	case w == l.Wall && w == remote.Wall:
		c.last = tick(Timestamp{Wall: w, Logical: max(l.Logical, remote.Logical)})
	case w == l.Wall:
		c.last = tick(l)
	case w == remote.Wall:
		c.last = tick(remote)
	default:
		c.last = Timestamp{Wall: w}
	}
	return c.last, nil
}

// Last returns the most recent timestamp returned by Now or Update, without
// advancing the clock.
func (c *HLC) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
