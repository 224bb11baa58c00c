// Package memnet is an in-memory network of gossip.Transports, for tests,
// examples and demos: a packet is handed straight to the receiver's
// gossip.Handler and a stream is a net.Pipe served by the receiver's
// Handler, with optional loss and cut links.
//
// A Network and its Transports are safe for concurrent use.
package memnet
