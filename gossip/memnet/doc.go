// Package memnet is an in-memory network of gossip.Transports, for tests,
// examples and demos: packets travel through buffered channels and streams
// through net.Pipe, with optional loss and cut links.
//
// A Network and its Transports are safe for concurrent use.
package memnet
