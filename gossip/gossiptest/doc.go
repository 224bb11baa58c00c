// Package gossiptest holds test helpers for code built on libgossip: a
// goroutine leak check and a small in-memory cluster.
package gossiptest
