// Package kv is an eventually consistent, replicated key/value store for
// configuration, carried by gossip.
//
// # Model
//
// Every member holds the whole map. A write (Put or Delete) is stamped
// with the writer's hybrid logical clock (utils/clock) and its member id,
// applied locally, and spread: small entries ride gossip broadcasts, and
// every SyncInterval each member runs an anti-entropy exchange with one
// random peer over the cluster's RPC channel (a digest of every entry
// without values; the peer answers with the entries the initiator lacks
// or holds older, the keys it wants, and the keys the initiator should
// drop; the initiator pushes the wanted entries).
//
// Conflicts are settled by last-writer-wins on (version, origin id,
// tombstone over value, value bytes): a total order, so any two members
// that have received the same writes hold the same entry, whatever the
// order of arrival.
//
// Deletes are tombstones, collected Config.Grace after they were written.
// A store's horizon is the newest tombstone it (or a member it fully
// synchronised with) has collected. A store refuses an entry for a key it
// does not hold when the entry is older than its horizon (that key may
// have been deleted and the deletion collected), and in an exchange a
// member drops any entry the peer lacks that is older than the peer's
// horizon. So a key deleted and collected does not come back when a
// member that was away longer than the grace period returns with the old
// value: the returning member drops it instead.
//
// The pure part is Store (merge, digest, reconcile, GC: no clock, no I/O;
// the simulation tests drive it under loss, partitions and restarts). KV
// is the driver over a gossip.Node.
//
// # Guarantees
//
//   - Local: a Put or Delete is visible to Get on the same member when it
//     returns (read-your-writes on one member).
//   - Eventual: once writes stop and the network delivers, every member
//     converges to the same map; an exchange with each other member is
//     enough, so within a few SyncIntervals (typically one broadcast
//     round for small values).
//   - Per key, all members agree on the winner (last-writer-wins by HLC
//     version); concurrent writes to one key lose all but one. There are
//     no transactions and no compare-and-set (cluster/raft/kv has them).
//   - A reader on another member may see an older value, or a key not yet
//     deleted, until the write reaches it; it never sees a value that was
//     not written, and after seeing a version it never sees an older one
//     of that key (merges only move forward).
//   - A deleted key, once its tombstone is collected, never comes back.
//     The price: a write made on a member cut off for longer than the
//     grace period, older than the horizon of the members it returns to,
//     is discarded when it returns. Choose Grace longer than any
//     partition you want to ride out with writes on both sides.
//   - Limits: keys up to Config.MaxKeySize, values up to MaxValueSize, the
//     whole store up to MaxTotalSize; writes over a limit fail with
//     ErrKeyTooLarge, ErrValueTooLarge or ErrFull, and remote entries over
//     a limit are refused and counted.
//   - The store lives in memory: a restarted member starts empty and
//     catches up from its peers.
//
// Instruments (OpenTelemetry, on WithMeterProvider, default the global
// provider):
//
//   - libgossip.kv.keys ({key}, gauge): entries held, tombstones included.
//   - libgossip.kv.bytes (By, gauge): bytes charged against MaxTotalSize.
//   - libgossip.kv.merges ({entry}, counter, attribute result = applied,
//     stale or refused): remote entries merged into the store.
//   - libgossip.kv.syncs ({exchange}, counter, attribute result = ok or
//     error): anti-entropy exchanges this member started.
//
// Security: the RPC channel authenticates nobody unless WithTLS is set;
// without it any host that reaches the port can write entries.
package kv
