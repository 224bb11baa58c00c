// Package election is leader election as a lease over gossip membership:
// fast, with no quorum and no extra messages, and weaker than consensus.
//
// # Rule
//
// Candidates publish "<rank>:<token>" under the metadata key
// TagPrefix+name. Each member computes the leader from the live
// candidates it sees (alive or suspect): the lowest rank, then the lowest
// id (Leader). The rule is pure; Machine holds the one piece of state, the
// fencing token.
//
// # Guarantees
//
//   - At most one leader per view: members that see the same live
//     candidates agree on the leader.
//   - Not exactly one leader overall: during a partition, or while a
//     failure or a join is still spreading, members with different views
//     may each see another leader, and two members may both believe they
//     lead. Leaderships overlap; callers that cannot tolerate that use
//     cluster/raft.
//   - Fencing tokens only grow on each member, and no two members issue
//     the same one: a token is a count in its high bits and a hash of its
//     issuer's id in its low IssuerBits bits (ids whose hashes collide, 1
//     in 16.7 million pairs, could tie). A member taking the lead issues
//     the next count above every token it can see (its own and each live
//     candidate's published one); a leader issues again whenever its view
//     gains a candidate (a join, a healed partition) or shows a higher
//     token. Every member republishes the highest token it has seen, so
//     once a leader's token has spread, the next leader of a connected
//     cluster issues a higher one; a token issued moments before its
//     leader fails may not have spread, and the next leader may then
//     issue a lower one. During a partition each side issues its own
//     tokens; after the heal the leader holds one above every token it
//     sees. A resource that rejects tokens below the highest it has
//     accepted fences off a deposed leader. Tokens live in memory: if
//     every member restarts, counts start again from 1 (use the Raft
//     index from cluster/raft for a durable token).
//
// # Use
//
//	el, err := election.New(node, "scheduler", election.WithRank(0))
//	err = el.Start(ctx)
//	for lease := range el.Changes() {
//		if lease.Self { /* lead, stamping work with lease.Token */ }
//	}
//	err = el.Shutdown(ctx)
//
// # Telemetry
//
// OpenTelemetry instruments on WithMeterProvider (default the global
// provider, a no-op unless the program sets one), each with attribute
// libgossip.election.name:
//
//   - libgossip.election.leader_changes ({change}, counter, attribute
//     self = true when this member became the leader): lease changes
//     this member saw (a new leader, a new token, or no leader).
//   - libgossip.election.token ({token}, gauge): the fencing token of the
//     current lease as this member sees it, 0 without a leader; reported
//     only between Start and Shutdown.
package election
