// Package gossip is libgossip's membership runtime: a Node that runs the
// SWIM protocol (with the Lifeguard refinements) over a Transport, and the
// types its users see.
//
// # Layout
//
// The protocol itself is a pure state machine in package core (no
// goroutines, no I/O, no clock); package wire is its binary format. A Node
// owns one core and one goroutine that serializes everything the core sees:
// timer ticks at the core's NextDeadline, packets and streams from the
// Transport, and API calls. After each input the Node sends the core's
// outbound messages (packets through Transport.WritePacket, reliable ones
// over a stream each) and publishes its events to subscribers.
//
// Package memnet is an in-memory Transport for tests and examples; the net
// module provides UDP, TCP and hybrid transports with encryption. Package
// sim runs thousands of cores on a simulated network in virtual time.
//
// # Using a Node
//
//	cfg := gossip.LANConfig()
//	cfg.ID = "node-1"
//	n, err := gossip.New(cfg, transport)     // validates; no goroutines yet
//	err = n.Start(ctx)                       // binds the transport, starts the loop
//	err = n.Join(ctx, "10.0.0.1:7946")        // waits for a full-state exchange
//	sub := n.Subscribe(256)                  // membership events on sub.C
//	members := n.Members()
//	err = n.Leave(ctx)                        // announce departure
//	err = n.Shutdown(ctx)                     // stop and wait for every goroutine
//
// Every Node method is safe for concurrent use. Events never block the
// protocol: a subscriber whose buffer is full loses events, counted by
// Subscription.Dropped. Background errors (failed sends, undecodable input)
// go to the WithErrorHandler option and are counted in Stats.
package gossip
