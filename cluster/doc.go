// Package cluster is the root of libgossip's cluster services: bootstrap,
// discovery, configuration sync, queries, leader election and Raft on
// gossip. Each service lives in a package of its own below this one; this
// package holds nothing but this overview.
//
// Every service with protocol logic is split like the gossip core: a pure
// state machine that takes time and randomness as inputs, and a driver that
// runs it over a gossip.Node.
package cluster
