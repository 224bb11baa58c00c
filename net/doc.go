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
// The stack, bottom up: the socket transport (package transport/udp, tcp
// or hybrid), the inbound and outbound rate limits (package limit), then
// encryption, the cluster label and TLS (package security). Every layer
// counts into one stats.Counters, read with Transport.Stats.
//
// Subpackages: transport (shared options), transport/udp, transport/tcp,
// transport/hybrid, security, limit, codec and codec/json, stats.
package net
