// Package kv is a strongly consistent key/value store on cluster/raft:
// every write goes through the Raft log, so all servers apply the same
// writes in the same order.
//
// It has the shape of cluster/kv (Get, Put, Delete, List, Watch) plus
// CompareAndSet, with a context on every call that may wait for a quorum.
// The guarantees, each in one line:
//   - Put, Delete and CompareAndSet return nil only once a quorum has
//     committed the write; it then survives any failover.
//   - A version is the raft index of the write: it grows with every write
//     to the store, so versions order writes across keys.
//   - CompareAndSet compares when the command applies, in log order: of
//     racing calls with one expected version, at most one succeeds.
//   - Get and List are linearizable: a raft barrier on the leader first,
//     so they see every write acknowledged before the call. They work on
//     the leader only.
//   - GetLocal and ListLocal read this server's copy on any server:
//     possibly stale, never going back in time on one server.
//   - Watch reports each applied change under a prefix, in log order, on
//     every server; a full buffer drops (counted), it never blocks raft.
//
// Writes and linearizable reads on a follower fail with an error wrapping
// a *raft.NotLeaderError that names the leader; the caller retries there.
// A write whose error is raft.ErrLeadershipLost or a context error may or
// may not have been applied: retry with CompareAndSet, or make writes
// idempotent.
//
//	st, err := kv.New(node, dir, kv.WithRaftOptions(raft.WithBootstrapExpect(3)))
//	err = st.Start(ctx)
//	ver, err := st.Put(ctx, "config/x", []byte("1"))          // on the leader
//	ver, err = st.CompareAndSet(ctx, "config/x", ver, []byte("2"))
//	val, ver, ok, err := st.Get(ctx, "config/x")
//	w := st.Watch("config/", 64)                              // any server
package kv
