// Package node is one libgossip-cache member: it joins the gossip
// cluster, places keys on a consistent-hash ring over the live members,
// serves Redis clients and HTTP, and replicates every write to the key's
// R replicas before acknowledging it to W of them.
//
// Any node accepts any command. A single-key command runs on the key's
// coordinator, the first replica the node can reach in the key's
// preference list (normally the ring owner), which reads the key (from
// its own store, and from the other replicas while membership is
// settling or when it has no copy: read repair), computes the reply,
// stamps a write with a hybrid-logical-clock version and sends it to the
// other replicas. A batch of commands (a client's pipeline, a forwarded
// batch merging many clients' runs) reads what it needs from the other
// replicas in one request per replica for all of its keys, then runs
// its commands in order, and replicates their writes together (a write
// followed in the group by a newer one of the same key is left out:
// the newer one's acknowledgement covers it). Replicas keep the newest
// version (last writer wins), so the order in which copies arrive does
// not matter. A replica that misses
// a write gets it later from a hint; when the membership changes, every
// node pushes the keys whose replica set gained a member to that member
// (throttled) and drops keys it no longer replicates.
//
// Member addresses (internal, RESP, HTTP) and a boot id travel in gossip
// metadata; a new boot id means a restarted, empty member, which is then
// treated like a new one.
package node
