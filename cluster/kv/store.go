package kv

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/libgossip/libgossip/utils/clock"
)

// Config holds the limits and the tombstone grace period of a Store. Zero
// fields take the documented default.
type Config struct {
	// Grace is how long a tombstone is kept before it is collected, and so
	// how long a member may be away and still catch up on deletions by
	// merging; a member away longer resynchronises (see the package doc).
	// Default 1h.
	Grace time.Duration
	// MaxKeySize is the longest key, in bytes. Default 512; at most
	// HardMaxKeySize.
	MaxKeySize int
	// MaxValueSize is the longest value, in bytes. Default 64 KiB; at most
	// HardMaxValueSize.
	MaxValueSize int
	// MaxTotalSize bounds the store: keys, values, origins and 32 bytes of
	// bookkeeping per entry, tombstones included. Default 4 MiB.
	MaxTotalSize int
}

func (c *Config) fill() error {
	if c.Grace == 0 {
		c.Grace = time.Hour
	}
	if c.MaxKeySize == 0 {
		c.MaxKeySize = 512
	}
	if c.MaxValueSize == 0 {
		c.MaxValueSize = 64 << 10
	}
	if c.MaxTotalSize == 0 {
		c.MaxTotalSize = 4 << 20
	}
	if c.Grace < 0 || c.MaxKeySize < 1 || c.MaxKeySize > HardMaxKeySize ||
		c.MaxValueSize < 0 || c.MaxValueSize > HardMaxValueSize || c.MaxTotalSize < 1 {
		return fmt.Errorf("%w: grace %v, key %d (1..%d), value %d (0..%d), total %d",
			ErrConfig, c.Grace, c.MaxKeySize, HardMaxKeySize, c.MaxValueSize, HardMaxValueSize, c.MaxTotalSize)
	}
	return nil
}

// Change reports a key whose visible state changed: Entry is the new
// state (a tombstone when the key was deleted).
type Change struct {
	Entry Entry
	// Remote is true when the change came from another member.
	Remote bool
}

// Store is the pure merge machine of the replicated KV: a map of
// versioned entries with last-writer-wins merges, tombstones, their
// garbage collection and the anti-entropy exchange. It reads no clock
// (time and versions are arguments) and does no I/O. It is not safe for
// concurrent use; the KV driver serializes access.
type Store struct {
	cfg     Config
	entries map[string]Entry
	size    int
	horizon clock.Timestamp
	changes []Change
	stats   Stats
}

// Stats are a Store's counters since creation.
type Stats struct {
	Merged       uint64 // remote entries that changed the store
	Stale        uint64 // remote entries older than what the store holds
	BelowHorizon uint64 // remote entries refused by the gc horizon
	Rejected     uint64 // remote entries refused by a limit
	Collected    uint64 // tombstones collected
	Dropped      uint64 // entries dropped because a peer's horizon showed them deleted
}

// NewStore returns an empty store, or an error wrapping ErrConfig.
func NewStore(cfg Config) (*Store, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return &Store{cfg: cfg, entries: map[string]Entry{}}, nil
}

// Config returns the store's config with defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// Stats returns the store's counters.
func (s *Store) Stats() Stats { return s.stats }

// Horizon returns the garbage-collection horizon: tombstones older than
// it may have been collected here or at a member this store synchronised
// with.
func (s *Store) Horizon() clock.Timestamp { return s.horizon }

// Get returns the live entry for key. Tombstones are not returned.
func (s *Store) Get(key string) (Entry, bool) {
	e, ok := s.entries[key]
	if !ok || e.Deleted {
		return Entry{}, false
	}
	return e, true
}

// Len returns the number of entries, tombstones included.
func (s *Store) Len() int { return len(s.entries) }

// Size returns the bytes charged against MaxTotalSize.
func (s *Store) Size() int { return s.size }

// List returns the live entries whose key starts with prefix, sorted by
// key. The caller owns the slice; values are shared and must not be
// modified.
func (s *Store) List(prefix string) []Entry {
	var out []Entry
	for k, e := range s.entries {
		if !e.Deleted && strings.HasPrefix(k, prefix) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Write applies a local write (a put, or a delete when e.Deleted). The
// caller gives it a version newer than any it gave before. It returns an
// error wrapping ErrKeyTooLarge, ErrValueTooLarge or ErrFull and changes
// nothing when a limit is exceeded.
func (s *Store) Write(e Entry) error {
	if err := e.check(s.cfg); err != nil {
		return err
	}
	if cur, ok := s.entries[e.Key]; ok && !e.Newer(cur) {
		return nil
	}
	return s.set(e, false)
}

// Merge applies an entry received from another member: it replaces the
// held entry when it is newer (last-writer-wins), is ignored when older,
// and, for a key not held, is refused with ErrBelowHorizon when older
// than the horizon. It reports whether the store changed.
func (s *Store) Merge(e Entry) (bool, error) {
	return s.merge(e, true)
}

func (s *Store) merge(e Entry, checkHorizon bool) (bool, error) {
	if err := e.check(s.cfg); err != nil {
		s.stats.Rejected++
		return false, err
	}
	cur, ok := s.entries[e.Key]
	switch {
	case ok && !e.Newer(cur):
		s.stats.Stale++
		return false, nil
	case !ok && checkHorizon && e.Version.Before(s.horizon):
		s.stats.BelowHorizon++
		return false, fmt.Errorf("%w: %q at %v, horizon %v", ErrBelowHorizon, e.Key, e.Version, s.horizon)
	}
	if err := s.set(e, true); err != nil {
		s.stats.Rejected++
		return false, err
	}
	s.stats.Merged++
	return true, nil
}

func (s *Store) set(e Entry, remote bool) error {
	cur, had := s.entries[e.Key]
	delta := e.size()
	if had {
		delta -= cur.size()
	}
	if s.size+delta > s.cfg.MaxTotalSize {
		return fmt.Errorf("%w: %q needs %d bytes, %d of %d used", ErrFull, e.Key, delta, s.size, s.cfg.MaxTotalSize)
	}
	e.Value = slices.Clone(e.Value)
	s.entries[e.Key] = e
	s.size += delta
	if !(e.Deleted && (!had || cur.Deleted)) {
		s.changes = append(s.changes, Change{Entry: e, Remote: remote})
	}
	return nil
}

func (s *Store) remove(key string) {
	if e, ok := s.entries[key]; ok {
		delete(s.entries, key)
		s.size -= e.size()
		if !e.Deleted {
			s.changes = append(s.changes, Change{Entry: Entry{Key: key, Version: e.Version, Origin: e.Origin, Deleted: true}, Remote: true})
		}
	}
}

// Changes returns and clears the visible changes since the last call, in
// the order they happened.
func (s *Store) Changes() []Change {
	c := s.changes
	s.changes = nil
	return c
}

// GC collects the tombstones written more than Grace before now and
// raises the horizon to the newest one collected. It returns how many it
// collected. A horizon only rises when a tombstone is actually
// collected, so a store that never deleted anything accepts old keys it
// lacks.
func (s *Store) GC(now time.Time) int {
	cut := clock.Timestamp{Wall: now.Add(-s.cfg.Grace).UnixNano()}
	n := 0
	for k, e := range s.entries {
		if e.Deleted && e.Version.Before(cut) {
			delete(s.entries, k)
			s.size -= e.size()
			if s.horizon.Before(e.Version) {
				s.horizon = e.Version
			}
			n++
		}
	}
	s.stats.Collected += uint64(n)
	return n
}

// Hash returns a fingerprint of every entry, tombstones included: two
// stores with the same entries have the same hash.
func (s *Store) Hash() uint64 {
	keys := make([]string, 0, len(s.entries))
	for k := range s.entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := fnv.New64a()
	var b [8]byte
	for _, k := range keys {
		v := s.entries[k].sum()
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}
