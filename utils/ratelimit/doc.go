// Package ratelimit provides a keyed rate limiter: one token bucket
// (golang.org/x/time/rate) per key — per peer, per client, per tenant — with
// bounded memory.
//
// A [Keyed] limiter creates a bucket the first time it sees a key, with the
// limiter's current rate and burst. Memory is bounded two ways: a key not used
// for the idle timeout is evicted, and when MaxKeys keys are held the least
// recently used is evicted to make room. A bucket evicted after the idle
// timeout would have refilled anyway if the timeout is at least burst/rate;
// a bucket evicted for room (a flood of distinct keys) comes back full, so
// size MaxKeys above the number of concurrently active keys.
//
// Both the allow form ([Keyed.Allow], which never blocks and is the one to
// use on a packet path) and the wait form ([Keyed.Wait], which blocks until
// the tokens are available or the context ends) are offered. [Keyed.SetRate]
// and [Keyed.SetBurst] change the limits at runtime, for existing keys too.
//
// Time is read from an injectable clock ([WithClock]), so tests are
// deterministic. The limiter is sharded by key hash to keep parallel callers
// from contending on one lock; all methods are safe for concurrent use.
package ratelimit
