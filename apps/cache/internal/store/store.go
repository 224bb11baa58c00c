package store

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// ErrConfig is returned by New for an invalid Config.
var ErrConfig = errors.New("store: invalid config")

// Defaults for Config's zero fields.
const (
	// DefaultMaxBytes is the memory bound when Config.MaxBytes is zero
	// (256 MiB).
	DefaultMaxBytes = 256 << 20
	// DefaultShards is the number of shards when Config.Shards is zero.
	DefaultShards = 16
	// DefaultTombstoneTTL is how long a deletion is remembered when
	// Config.TombstoneTTL is zero.
	DefaultTombstoneTTL = 10 * time.Minute
)

// Config configures a Store. The zero value means the defaults.
type Config struct {
	// MaxBytes bounds the bytes of keys, values and per-entry overhead
	// (about 160 bytes an entry). When a write would exceed it, least
	// recently used entries are evicted (counted in Stats.Evictions).
	// Zero means DefaultMaxBytes; negative is an error.
	MaxBytes int64
	// Shards is the number of independently locked shards; each holds
	// MaxBytes/Shards. Zero means DefaultShards; it must be 1..4096.
	Shards int
	// TombstoneTTL is how long a deleted key's tombstone is kept. Zero
	// means DefaultTombstoneTTL; negative is an error.
	TombstoneTTL time.Duration
	// Now reads the clock for TTLs. Nil means time.Now.
	Now func() time.Time
}

// Stats are a Store's counters.
type Stats struct {
	Entries   int    // entries held, tombstones included
	Bytes     int64  // bytes counted against MaxBytes
	Evictions uint64 // entries evicted for room since New
	Expired   uint64 // entries removed because their TTL passed
}

// Store is a sharded, byte-bounded LRU of versioned entries. It is safe
// for concurrent use.
type Store struct {
	shards    []*shard
	tombTTL   time.Duration
	now       func() time.Time
	evictions atomic.Uint64
	expired   atomic.Uint64
}

type shard struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *Entry]
	bytes    int64
	maxBytes int64
	removing bool // a Remove by us, not an eviction
	store    *Store
}

// New returns an empty Store, or an error wrapping ErrConfig.
func New(cfg Config) (*Store, error) {
	if cfg.MaxBytes < 0 || cfg.TombstoneTTL < 0 {
		return nil, fmt.Errorf("%w: MaxBytes %d and TombstoneTTL %v must not be negative", ErrConfig, cfg.MaxBytes, cfg.TombstoneTTL)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Shards == 0 {
		cfg.Shards = DefaultShards
	}
	if cfg.Shards < 1 || cfg.Shards > 4096 {
		return nil, fmt.Errorf("%w: Shards %d not in 1..4096", ErrConfig, cfg.Shards)
	}
	if cfg.TombstoneTTL == 0 {
		cfg.TombstoneTTL = DefaultTombstoneTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{tombTTL: cfg.TombstoneTTL, now: cfg.Now}
	per := max(cfg.MaxBytes/int64(cfg.Shards), 1)
	for range cfg.Shards {
		sh := &shard{maxBytes: per, store: s}
		l, err := simplelru.NewLRU[string, *Entry](math.MaxInt32, sh.onEvict)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		sh.lru = l
		s.shards = append(s.shards, sh)
	}
	return s, nil
}

func (sh *shard) onEvict(key string, e *Entry) {
	sh.bytes -= size(key, e)
	if !sh.removing {
		sh.store.evictions.Add(1)
	}
}

func (sh *shard) remove(key string) {
	sh.removing = true
	sh.lru.Remove(key)
	sh.removing = false
}

func (s *Store) shard(key string) *shard {
	return s.shards[xxhash.Sum64String(key)%uint64(len(s.shards))]
}

// NowMS is the store clock in Unix milliseconds.
func (s *Store) NowMS() int64 { return s.now().UnixMilli() }

// dead reports whether e may be forgotten: an expired value, or a
// tombstone older than the tombstone TTL.
func (s *Store) dead(e *Entry, nowMS int64) bool {
	if e.Deleted {
		return e.Version.TS.Wall/1e6+s.tombTTL.Milliseconds() < nowMS
	}
	return e.ExpireAt != 0 && e.ExpireAt <= nowMS
}

// Get returns key's live value (not deleted, not expired) and marks it
// recently used. An expired value is removed.
func (s *Store) Get(key string) (Entry, bool) {
	return s.GetAt(key, s.NowMS())
}

// GetAt is Get with the clock read by the caller (Unix milliseconds), for
// callers serving many commands at one instant.
func (s *Store) GetAt(key string, nowMS int64) (Entry, bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.lru.Get(key)
	if !ok {
		return Entry{}, false
	}
	if !e.Live(nowMS) {
		if s.dead(e, nowMS) {
			sh.remove(key)
			if !e.Deleted {
				s.expired.Add(1)
			}
		}
		return Entry{}, false
	}
	return *e, true
}

// Peek returns key's entry as stored, tombstones and expired values
// included, without changing its recency.
func (s *Store) Peek(key string) (Entry, bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.lru.Peek(key)
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Apply stores e for key if key has no entry or an older version (last
// writer wins) and reports whether it did. Entries larger than a shard's
// byte bound are refused.
func (s *Store) Apply(key string, e Entry) bool {
	sh := s.shard(key)
	n := size(key, &e)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if n > sh.maxBytes {
		return false
	}
	if old, ok := sh.lru.Get(key); ok {
		if old.Version.Compare(e.Version) >= 0 {
			return false
		}
		// Replaced in place: readers get copies, never this pointer.
		sh.bytes += n - size(key, old)
		*old = e
	} else {
		ne := e
		sh.lru.Add(key, &ne)
		sh.bytes += n
	}
	for sh.bytes > sh.maxBytes {
		if _, _, ok := sh.lru.RemoveOldest(); !ok {
			break
		}
	}
	return true
}

// Drop removes key if its stored version is still v (a newer write is
// kept) and reports whether it did.
func (s *Store) Drop(key string, v Version) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.lru.Peek(key); ok && e.Version == v {
		sh.remove(key)
		return true
	}
	return false
}

// Range calls fn for each entry, tombstones included, until fn returns
// false. It works shard by shard on a copy of the keys, so fn may call the
// Store; entries written during Range may or may not be visited.
func (s *Store) Range(fn func(key string, e Entry) bool) {
	for _, sh := range s.shards {
		sh.mu.Lock()
		keys := sh.lru.Keys()
		sh.mu.Unlock()
		for _, k := range keys {
			if e, ok := s.Peek(k); ok && !fn(k, e) {
				return
			}
		}
	}
}

// Sweep removes expired values and old tombstones and returns how many
// it removed. It holds one shard lock at a time.
func (s *Store) Sweep() int {
	nowMS := s.NowMS()
	n := 0
	for _, sh := range s.shards {
		sh.mu.Lock()
		for _, k := range sh.lru.Keys() {
			if e, ok := sh.lru.Peek(k); ok && s.dead(e, nowMS) {
				sh.remove(k)
				if !e.Deleted {
					s.expired.Add(1)
				}
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n
}

// Flush removes every entry.
func (s *Store) Flush() {
	for _, sh := range s.shards {
		sh.mu.Lock()
		sh.removing = true
		sh.lru.Purge()
		sh.removing = false
		sh.bytes = 0
		sh.mu.Unlock()
	}
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	st := Stats{Evictions: s.evictions.Load(), Expired: s.expired.Load()}
	for _, sh := range s.shards {
		sh.mu.Lock()
		st.Entries += sh.lru.Len()
		st.Bytes += sh.bytes
		sh.mu.Unlock()
	}
	return st
}
