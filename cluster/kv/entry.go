package kv

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/libgossip/libgossip/utils/clock"
)

// Errors of this package. Callers test them with errors.Is.
var (
	// ErrKeyTooLarge reports a key over Config.MaxKeySize (or empty).
	ErrKeyTooLarge = errors.New("kv: key empty or too large")
	// ErrValueTooLarge reports a value over Config.MaxValueSize.
	ErrValueTooLarge = errors.New("kv: value too large")
	// ErrFull reports a write that would take the store over
	// Config.MaxTotalSize.
	ErrFull = errors.New("kv: store full")
	// ErrBelowHorizon reports a remote entry for a key this store does
	// not hold, older than its garbage-collection horizon: it may be a key
	// whose deletion was already collected, so it is refused.
	ErrBelowHorizon = errors.New("kv: entry older than the gc horizon")
	// ErrMalformed reports remote input that does not decode.
	ErrMalformed = errors.New("kv: malformed input")
	// ErrConfig reports an invalid Config or option.
	ErrConfig = errors.New("kv: invalid config")
	// ErrNotRunning reports a call on a KV that is not started or has
	// been shut down.
	ErrNotRunning = errors.New("kv: not running")
)

// Hard bounds every decoder enforces, whatever the Config.
const (
	// HardMaxKeySize is the largest Config.MaxKeySize, in bytes.
	HardMaxKeySize = 4096
	// HardMaxValueSize is the largest Config.MaxValueSize, in bytes.
	HardMaxValueSize = 1 << 20
	// MaxOriginLen is the longest origin (member id), in bytes.
	MaxOriginLen = 255
)

// entryOverhead is the bookkeeping charged per entry against
// Config.MaxTotalSize, in bytes.
const entryOverhead = 32

// Entry is one versioned key: a value, or a tombstone when Deleted.
type Entry struct {
	Key   string
	Value []byte
	// Version is the hybrid logical clock time of the write.
	Version clock.Timestamp
	// Origin is the id of the member that wrote it.
	Origin string
	// Deleted marks a tombstone (Value is then empty).
	Deleted bool
}

// Newer reports whether e wins over f under last-writer-wins: the later
// Version; on a tie the greater Origin; then a tombstone over a value;
// then the greater value bytes. Every member orders any two entries the
// same way, so merges converge whatever the order of arrival.
func (e Entry) Newer(f Entry) bool { return compare(e, f) > 0 }

func compare(e, f Entry) int {
	if c := e.Version.Compare(f.Version); c != 0 {
		return c
	}
	if c := strings.Compare(e.Origin, f.Origin); c != 0 {
		return c
	}
	if e.Deleted != f.Deleted {
		if e.Deleted {
			return 1
		}
		return -1
	}
	return bytes.Compare(e.Value, f.Value)
}

// size is what e costs against Config.MaxTotalSize.
func (e Entry) size() int { return len(e.Key) + len(e.Value) + len(e.Origin) + entryOverhead }

// sum is a short fingerprint of e's content, used in digests.
func (e Entry) sum() uint64 {
	h := fnv.New64a()
	h.Write([]byte(e.Key))
	h.Write([]byte{0})
	h.Write([]byte(e.Origin))
	b, _ := e.Version.MarshalBinary()
	h.Write(b)
	if e.Deleted {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	h.Write(e.Value)
	return h.Sum64()
}

// check validates e against the limits of cfg.
func (e Entry) check(cfg Config) error {
	if e.Key == "" || len(e.Key) > cfg.MaxKeySize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrKeyTooLarge, len(e.Key), cfg.MaxKeySize)
	}
	if len(e.Value) > cfg.MaxValueSize {
		return fmt.Errorf("%w: %q is %d bytes, limit %d", ErrValueTooLarge, e.Key, len(e.Value), cfg.MaxValueSize)
	}
	if e.Origin == "" || len(e.Origin) > MaxOriginLen {
		return fmt.Errorf("%w: origin of %d bytes", ErrMalformed, len(e.Origin))
	}
	if e.Deleted && len(e.Value) > 0 {
		return fmt.Errorf("%w: tombstone with a value", ErrMalformed)
	}
	if e.Version.Wall < 0 {
		return fmt.Errorf("%w: negative version", ErrMalformed)
	}
	return nil
}
