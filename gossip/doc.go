// Package gossip is libgossip's membership runtime: a Node that runs the
// SWIM protocol (with the Lifeguard refinements) over a Transport, and the
// types its users see.
//
// # Layout
//
// The protocol itself is a pure state machine in package core (no
// goroutines, no I/O, no clock); package wire is its binary format. A Node
// owns one core and one protocol goroutine that serializes everything the
// core sees: timer ticks at the core's NextDeadline, packets and stream
// frames from the Transport, and API calls.
//
// The protocol goroutine never waits on I/O. After each input it hands the
// core's outbound messages to senders through a bounded queue per
// destination (packets and streams apart) and its events to subscribers.
// When the Transport can send a packet without waiting (PacketTryWriter:
// the net module's udp and hybrid transports), the protocol goroutine
// writes packets itself and queues only what the transport refuses, which
// saves a goroutine hand-off per packet; streams always go to the senders.
// Up to WithSenders goroutines write, one destination each at a time, so a
// slow, dead or black-holed destination delays only its own messages;
// those that wait longer than WithSendQueue's age or overflow its depth
// are dropped and counted in Stats. Members, LocalNode and Stats read a
// snapshot the protocol goroutine publishes and never wait for it.
//
// The files follow these concerns: node.go (lifecycle), loop.go (the
// protocol goroutine), send.go (outbound queues and packets written
// without waiting), inbox.go (received packets), streams.go and receive.go
// (the transport side), join.go, api.go, snapshot.go,
// subscription.go, options.go, clock.go, preset.go, errors.go.
//
// Package memnet is an in-memory Transport for tests and examples; the net
// module provides UDP, TCP and hybrid transports with encryption. Package
// sim runs thousands of cores on a simulated network in virtual time.
//
// # Using a Node
//
//	cfg, err := gossip.Preset("lan")         // or LANConfig(), WANConfig(), LocalConfig()
//	cfg.ID = "node-1"
//	n, err := gossip.New(cfg, transport)     // validates; no goroutines yet
//	err = n.Start(ctx)                       // binds the transport, starts the loop
//	err = n.Join(ctx, "10.0.0.1:7946")       // waits for a seed's state, at most the join timeout
//	sub := n.Subscribe(256)                  // membership events on sub.C
//	members := n.Members()                   // a snapshot; never blocks
//	err = n.Leave(ctx)                       // announce departure
//	err = n.Shutdown(ctx)                    // stop and wait for every goroutine
//
// Settings have one owner each: the protocol's in Config, the runtime's
// in options (WithLogger, WithCodec, WithErrorHandler, WithStreamTimeout,
// WithJoinTimeout, WithSendQueue, WithSenders, WithClock), and the packet
// size in the Transport.
//
// Every Node method is safe for concurrent use. Events never block the
// protocol: a subscriber whose buffer is full loses events, counted by
// Subscription.Dropped, unless it subscribed with Lossless, which queues
// up to a bound and then closes the subscription (Subscription.Err).
// Background errors (failed sends, undecodable input) go to the
// WithErrorHandler option and are counted in Stats.
//
// Tests can run Nodes on memnet inside a testing/synctest bubble, in
// virtual time; WithClock supplies another time source.
package gossip
