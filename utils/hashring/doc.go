// Package hashring places keys on members with consistent hashing built on
// xxhash (github.com/cespare/xxhash/v2).
//
// Four placements are offered, each for a different need:
//
//   - [Ring]: a classic hash ring with virtual nodes and per-member weights.
//     Adding or removing one of M members moves about 1/M of the keys, and
//     only the keys that must move (to the new member, or off the removed
//     one). Lookups are a binary search, O(log V) for V virtual nodes.
//   - [Bounded]: consistent hashing with bounded loads (Mirrokni, Thorup and
//     Zadimoghaddam, 2017). Each assignment walks the ring from the key's
//     position to the first member whose load stays within
//     ceil((1+ε)·average), so no member ever takes more than that bound.
//   - [Rendezvous]: highest random weight hashing. Every member scores every
//     key; the best score wins. O(M) per lookup, no virtual nodes, a perfect
//     1/M movement on membership change, optional weights.
//   - [Jump]: jump consistent hashing (Lamping and Veach, 2014) for numbered
//     shards 0..n-1; no memory, O(log n) time, but members can only be added
//     or removed at the end of the numbering.
//
// Placement is a pure function of the member set, the configuration and the
// key: it does not depend on the order in which members were added, on the
// machine, the process or a random seed. The golden test in testdata/ pins it.
//
// [Ring] and [Rendezvous] are copy-on-write: a membership change builds a new
// immutable table and publishes it atomically, so lookups never block and
// run safely in parallel with changes. [Bounded] tracks mutable loads and
// serializes its methods with a mutex.
package hashring
