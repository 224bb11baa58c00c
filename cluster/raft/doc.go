// Package raft runs hashicorp/raft on a gossip membership, the way Consul
// drives it from serf: gossip decides who the servers are, raft decides
// what was written. Strong consistency comes from hashicorp/raft; this
// package holds no consensus logic of its own.
//
// # Model
//
// A server is a gossip member whose metadata carries the TagAddr tag (its
// raft address) and the TagState tag ("fresh" or "existing"). Raft runs on
// its own TCP port through raft's NetworkTransport, with raft-boltdb/v2 as
// log and stable store and file snapshots, all under one data directory.
//
// The leader keeps the raft configuration in line with gossip (see the
// policy in policy.go, a pure function of membership, configuration and
// time):
//   - a new server alive in gossip joins as a non-voter, and is promoted to
//     voter once it has been alive without interruption for the
//     stabilization time (WithStabilization);
//   - a server that left gracefully is removed;
//   - a failed server, or one that vanished from gossip, stays until the
//     dead-server timeout (WithDeadServerTimeout) and is then removed, but
//     never if the voters left would be fewer than a majority of the
//     current voters;
//   - a server back with a new raft address keeps its suffrage: the leader
//     removes it and adds it again at the new address, two configuration
//     changes in a row.
//
// With WithBootstrapExpect(n), a fresh cluster needs no manual bootstrap:
// once n servers are alive in gossip and none has raft state, the one with
// the lowest id bootstraps with all of them as voters. The rule is the same
// on every server, so exactly one bootstraps. A server with existing state
// never bootstraps again, and a fresh server that sees any server with
// state waits to be added instead. Give every server of the first
// formation the same expect value, and start those expect servers first:
// a fresh server that cannot yet see the lowest-id one while it sees
// expect others would bootstrap a second cluster (Consul's
// bootstrap-expect has the same rule).
//
// # Security
//
// The raft port speaks hashicorp/raft's unauthenticated msgpack protocol:
// expose it only to the other servers (a private network, or a firewall).
// Inbound connections are capped in total and per remote IP
// (WithMaxInboundConns) so a stray client cannot exhaust descriptors or
// goroutines; what one connection may send is raft's own business.
//
// # Guarantees
//
// A nil error from Apply means the command is committed by a quorum and
// applied on the leader: it survives any later failover. Barrier and
// VerifyLeader let a leader serve linearizable reads from its FSM. Only
// the leader accepts Apply, Barrier and VerifyLeader; other servers answer
// with a *NotLeaderError naming the leader, and the caller retries there.
//
// # Use
//
//	srv, err := raft.New(node, fsm, dir, raft.WithBootstrapExpect(3))
//	err = srv.Start(ctx)              // node must be started
//	res, err := srv.Apply(ctx, cmd)  // on the leader
//	for leading := range srv.LeaderCh() { ... }
//	err = srv.Leave(ctx)              // graceful: hand leadership over,
//	err = node.Leave(ctx)             // then leave gossip: the leader removes it
//	err = srv.Shutdown(ctx)           // waits for every goroutine
//
// All Server methods are safe for concurrent use. The reconcile loop runs
// in one goroutine per Server; Shutdown stops raft, closes every raft
// connection (inbound ones included, which raft's own TCP layer leaves
// open) and waits for all goroutines, its own and raft's.
//
// # Telemetry
//
// OpenTelemetry instruments and spans, on WithMeterProvider and
// WithTracerProvider (default the global providers, no-ops unless the
// program sets them):
//
//   - libgossip.raft.leadership_changes ({change}, counter, attribute
//     leader = true when this server became leader, false when it
//     stopped).
//   - libgossip.raft.apply.duration (s, histogram, attribute result = ok
//     or error): Apply from call to commit or error.
//   - libgossip.raft.last_contact (s, gauge): time since a follower last
//     heard from a leader (hashicorp/raft's LastContact); 0 on the leader;
//     absent before any contact.
//   - libgossip.raft.commit_index ({entry}, gauge): the latest index this
//     server knows committed.
//   - Span libgossip.raft.apply around Apply, child of the span in its
//     context, with the command's index.
//
// The gauges are observed only between Start and Shutdown.
package raft
