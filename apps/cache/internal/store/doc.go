// Package store is one cache node's local storage: a byte-bounded LRU
// (hashicorp/golang-lru/v2) of versioned entries with TTL expiry.
//
// Every entry carries a Version (a hybrid logical clock reading and the
// writer's tie-breaker); Apply keeps the newer of two versions, so
// replicas that receive the same writes in any order converge (last
// writer wins). Deletions are kept as small tombstones for TombstoneTTL so
// that a late copy of an older value cannot bring a deleted key back.
//
// The store is sharded by key hash; each shard has its own lock and its
// share of the byte bound. All methods are safe for concurrent use and
// never block on anything but a shard lock.
package store
