// Package cluster is the root of libgossip's cluster services: what turns a
// membership library into something clusters are composed with. Each
// service lives in a package of its own below this one; this package holds
// nothing but this overview (and the module's dependency test).
//
//   - bootstrap: join through seeds (host:port, dns+, dnssrv+), re-resolved
//     on every retry with backoff; a peer snapshot file so a cluster
//     restarted after a total outage finds itself again with no seed;
//     periodic rejoin of known-but-absent members so a partition heals;
//     expect-N readiness.
//   - discovery: services (name, port, tags, health) in member metadata;
//     Lookup of healthy instances, Watch; static and DNS backends.
//   - kv: an eventually consistent replicated key/value store for
//     configuration (HLC versions, last-writer-wins, tombstones collected
//     without resurrection, anti-entropy).
//   - query: named queries to members filtered by id or tags, responses
//     of up to 1 MiB.
//   - election and raft: leader election (lease over membership) and Raft
//     on gossip (hashicorp/raft driven by membership).
//   - clustertest: helpers for tests that start members and wait for
//     conditions.
//
// Every service with protocol logic is split like the gossip core: a pure
// state machine that takes time and randomness as inputs (kv.Store,
// bootstrap.Rejoin), tested in seeded simulations with loss, partitions
// and restarts, and a driver that runs it over a gossip.Node.
//
// Member-to-member requests (kv anti-entropy, query responses) travel
// over a small RPC channel of the cluster's own (cluster/internal/rpc):
// one TCP connection per call, optionally TLS, its address advertised in
// member metadata, with bounded frames, connections per source and
// deadlines. gossip.Node has no unicast request/response, and its
// metadata replaces as a whole, so services update their own metadata
// keys through one serializing helper.
package cluster
