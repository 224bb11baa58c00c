// Package net puts libgossip on real networks: it builds a gossip.Transport
// from a URI, with the security and rate-limit wrappers the options ask
// for.
//
//	tr, err := net.New("hybrid://0.0.0.0:7946",
//		net.WithAdvertise("10.0.0.5"),
//		net.WithKeyring(keys), net.WithLabel("prod"))
//	n, err := gossip.New(cfg, tr)
//
// Schemes: "udp" (packets only), "tcp" (packets as frames over cached
// connections, and streams), "hybrid" (UDP packets and TCP streams on one
// port; the default, also used when the URI has no scheme). The host may be
// an IPv4 address, a bracketed IPv6 address or a name; port 0 picks a free
// port, reported by Addr after Start.
//
// The stack is gossip.Chain(socket, security, limit): the socket transport
// (package transport/udp, tcp or hybrid), wrapped by the inbound and
// outbound rate limits (package limit), wrapped by encryption, the cluster
// label and TLS (package security). Each wrapper is a gossip.Middleware:
// it hands the transport below a Handler of its own that filters what
// arrives (so a flood is rate-limited before any decryption) and starts no
// goroutine. Every layer counts into one stats.Counters, read with
// Transport.Stats.
//
// Inbound TCP is bounded per peer: at most transport.DefaultMaxConns
// connections, at most transport.DefaultMaxConnsPerSource of them opening
// or carrying a stream from one IP address (WithMaxConnsPerSource), and a
// preamble deadline (transport.DefaultAcceptTimeout). A Node reads stream
// frames with gossip/wire/frame, which allocates only as bytes arrive.
//
// A wildcard bind ("0.0.0.0", "::", or no host) advertises the first
// global unicast address of an interface of the bind's family (IPv4 unless
// the bind is IPv6), logs which, and reports it in Addr; WithAdvertise
// overrides it.
//
// Subpackages: transport (shared options), transport/udp, transport/tcp,
// transport/hybrid, security, limit, codec and codec/json, stats.
package net
