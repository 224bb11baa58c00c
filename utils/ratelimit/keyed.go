package ratelimit

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/time/rate"
)

// Errors returned by this package. Callers test them with [errors.Is].
var (
	// ErrInvalidRate is returned for a negative or NaN rate.
	ErrInvalidRate = errors.New("ratelimit: invalid rate")
	// ErrInvalidBurst is returned for a negative burst.
	ErrInvalidBurst = errors.New("ratelimit: invalid burst")
	// ErrInvalidOption is returned by New for an invalid option value.
	ErrInvalidOption = errors.New("ratelimit: invalid option")
	// ErrExceedsBurst is returned by WaitN when n exceeds the burst, so the
	// wait could never succeed.
	ErrExceedsBurst = errors.New("ratelimit: n exceeds burst")
	// ErrDeadline is returned by WaitN when the context's deadline comes
	// before the tokens would be available; it returns at once in that case.
	ErrDeadline = errors.New("ratelimit: wait would exceed context deadline")
)

const (
	// DefaultMaxKeys is the bound on keys used unless WithMaxKeys is given.
	DefaultMaxKeys = 10_000
	// DefaultIdleTimeout is the idle timeout used unless WithIdleTimeout is
	// given.
	DefaultIdleTimeout = 10 * time.Minute
	// shardCount is the number of shards for limiters with at least
	// minPerShard keys per shard; smaller limiters use one shard, so that
	// MaxKeys is an exact LRU bound.
	shardCount  = 16
	minPerShard = 64
)

// Option configures a Keyed limiter.
type Option func(*options)

type options struct {
	maxKeys int
	idle    time.Duration
	clock   func() time.Time
}

// WithMaxKeys bounds the number of keys held (default DefaultMaxKeys, 10,000;
// must be at least 1). With 1,024 keys or more the bound is split evenly over
// 16 shards, and the least recently used key of the full shard is evicted.
func WithMaxKeys(n int) Option { return func(o *options) { o.maxKeys = n } }

// WithIdleTimeout sets how long a key may go unused before it is evicted
// (default DefaultIdleTimeout, 10 minutes; must be positive). Choose at least
// burst/rate so that an evicted bucket would have been full anyway.
func WithIdleTimeout(d time.Duration) Option { return func(o *options) { o.idle = d } }

// WithClock sets the clock used for token accounting and idle eviction
// (default time.Now). Wait still sleeps on real timers for the delays it
// computes from this clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// Keyed is a rate limiter with one token bucket per key. It is safe for
// concurrent use.
type Keyed struct {
	now    func() time.Time
	idle   time.Duration
	shards []*shard
}

type shard struct {
	mu      sync.Mutex
	max     int
	limit   rate.Limit
	burst   int
	entries map[string]*list.Element // of *entry
	lru     list.List                // front: most recently used
}

type entry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

func checkRate(r rate.Limit) error {
	if r < 0 || math.IsNaN(float64(r)) {
		return fmt.Errorf("%w: %v", ErrInvalidRate, r)
	}
	return nil
}

func checkBurst(b int) error {
	if b < 0 {
		return fmt.Errorf("%w: %d", ErrInvalidBurst, b)
	}
	return nil
}

// New returns a keyed limiter that gives each key limit tokens per second
// (rate.Inf: no limit) and buckets of burst tokens. A burst of zero allows
// nothing unless limit is rate.Inf. It returns an error wrapping
// ErrInvalidRate, ErrInvalidBurst or ErrInvalidOption on bad input.
func New(limit rate.Limit, burst int, opts ...Option) (*Keyed, error) {
	if err := errors.Join(checkRate(limit), checkBurst(burst)); err != nil {
		return nil, err
	}
	o := options{maxKeys: DefaultMaxKeys, idle: DefaultIdleTimeout, clock: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.maxKeys < 1:
		return nil, fmt.Errorf("%w: MaxKeys %d must be at least 1", ErrInvalidOption, o.maxKeys)
	case o.idle <= 0:
		return nil, fmt.Errorf("%w: IdleTimeout %v must be positive", ErrInvalidOption, o.idle)
	case o.clock == nil:
		return nil, fmt.Errorf("%w: nil clock", ErrInvalidOption)
	}
	n := 1
	if o.maxKeys >= shardCount*minPerShard {
		n = shardCount
	}
	k := &Keyed{now: o.clock, idle: o.idle, shards: make([]*shard, n)}
	for i := range n {
		m := o.maxKeys / n
		if i < o.maxKeys%n {
			m++
		}
		k.shards[i] = &shard{max: m, limit: limit, burst: burst, entries: map[string]*list.Element{}}
	}
	return k, nil
}

func (k *Keyed) shard(key string) *shard {
	if len(k.shards) == 1 {
		return k.shards[0]
	}
	return k.shards[xxhash.Sum64String(key)%uint64(len(k.shards))]
}

// limiter returns key's bucket, creating it and evicting as needed, and marks
// it used at now. Callers hold s.mu.
func (s *shard) limiter(key string, now time.Time, idle time.Duration) *rate.Limiter {
	s.evictIdle(now, idle)
	if el, ok := s.entries[key]; ok {
		e := el.Value.(*entry)
		e.last = now
		s.lru.MoveToFront(el)
		return e.lim
	}
	if len(s.entries) >= s.max {
		s.remove(s.lru.Back())
	}
	e := &entry{key: key, lim: rate.NewLimiter(s.limit, s.burst), last: now}
	s.entries[key] = s.lru.PushFront(e)
	return e.lim
}

// evictIdle removes keys unused for longer than idle. Callers hold s.mu.
func (s *shard) evictIdle(now time.Time, idle time.Duration) int {
	n := 0
	for el := s.lru.Back(); el != nil; el = s.lru.Back() {
		if now.Sub(el.Value.(*entry).last) <= idle {
			break
		}
		s.remove(el)
		n++
	}
	return n
}

func (s *shard) remove(el *list.Element) {
	delete(s.entries, el.Value.(*entry).key)
	s.lru.Remove(el)
}

// Allow is AllowN(key, 1).
func (k *Keyed) Allow(key string) bool { return k.AllowN(key, 1) }

// AllowN reports whether n tokens are available for key now and, if so,
// takes them. It never blocks (beyond a shard's short lock).
func (k *Keyed) AllowN(key string, n int) bool {
	now := k.now()
	s := k.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limiter(key, now, k.idle).AllowN(now, n)
}

// Wait is WaitN(ctx, key, 1).
func (k *Keyed) Wait(ctx context.Context, key string) error { return k.WaitN(ctx, key, 1) }

// WaitN blocks until n tokens are available for key, then takes them. It
// returns ctx.Err() if ctx ends first (giving the tokens back), an error
// wrapping ErrDeadline at once if ctx's deadline is before the tokens would
// be available, and an error wrapping ErrExceedsBurst if n exceeds the burst.
func (k *Keyed) WaitN(ctx context.Context, key string, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := k.now()
	s := k.shard(key)
	s.mu.Lock()
	lim := s.limiter(key, now, k.idle)
	burst := s.burst
	r := lim.ReserveN(now, n)
	s.mu.Unlock()
	if !r.OK() {
		return fmt.Errorf("%w: n=%d, burst=%d", ErrExceedsBurst, n, burst)
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(now.Add(d)) {
		r.CancelAt(now)
		return fmt.Errorf("%w: need %v", ErrDeadline, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.CancelAt(k.now())
		return ctx.Err()
	}
}

// SetRate changes the rate of every key, existing and future, from now on.
// Tokens already accrued are kept. It returns an error wrapping
// ErrInvalidRate for a negative or NaN rate.
func (k *Keyed) SetRate(limit rate.Limit) error {
	if err := checkRate(limit); err != nil {
		return err
	}
	now := k.now()
	for _, s := range k.shards {
		s.mu.Lock()
		s.limit = limit
		for el := s.lru.Front(); el != nil; el = el.Next() {
			el.Value.(*entry).lim.SetLimitAt(now, limit)
		}
		s.mu.Unlock()
	}
	return nil
}

// SetBurst changes the burst of every key, existing and future, from now on.
// It returns an error wrapping ErrInvalidBurst for a negative burst.
func (k *Keyed) SetBurst(burst int) error {
	if err := checkBurst(burst); err != nil {
		return err
	}
	now := k.now()
	for _, s := range k.shards {
		s.mu.Lock()
		s.burst = burst
		for el := s.lru.Front(); el != nil; el = el.Next() {
			el.Value.(*entry).lim.SetBurstAt(now, burst)
		}
		s.mu.Unlock()
	}
	return nil
}

// Rate returns the current rate in tokens per second.
func (k *Keyed) Rate() rate.Limit {
	s := k.shards[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

// Burst returns the current burst in tokens.
func (k *Keyed) Burst() int {
	s := k.shards[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.burst
}

// Len returns the number of keys held, idle ones not yet evicted included.
func (k *Keyed) Len() int {
	n := 0
	for _, s := range k.shards {
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// Prune evicts every key idle for longer than the idle timeout and returns
// how many it evicted. Eviction also happens lazily on use; call Prune
// periodically to release memory when traffic stops.
func (k *Keyed) Prune() int {
	now := k.now()
	n := 0
	for _, s := range k.shards {
		s.mu.Lock()
		n += s.evictIdle(now, k.idle)
		s.mu.Unlock()
	}
	return n
}
