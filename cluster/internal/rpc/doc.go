// Package rpc is the cluster services' own request/response channel between
// members: gossip.Node spreads state to everyone but has no "send this to
// one member and wait for its answer". kv uses it for anti-entropy
// digests, query for responses of up to 1 MiB.
//
// # Model
//
// A Server listens on TCP (optionally TLS) and advertises its address in the
// member's metadata (the service that owns it chooses the key). A Client
// dials a member's advertised address for each call: one connection carries
// one request frame and one response frame, then closes. There is no
// connection reuse, which keeps the server's per-peer state to one
// connection and one deadline.
//
// # Frames
//
// Every frame is a 4-byte big-endian length followed by that many bytes.
// The server first sends a one-byte greeting frame (ready, or busy when a
// connection limit is reached), so a refused client learns it before it
// sends anything. The first byte of a frame is its kind; a
// request carries a method name (1-byte length, at most MaxMethodLen bytes)
// and a body; a response its body; an error frame a short message. See
// ReadFrame, DecodeRequest and DecodeResponse.
//
// # Limits (what an unauthenticated peer can cost)
//
//   - Memory: a frame's length is checked against the configured limit
//     before anything is allocated, and the body is read in chunks of at
//     most 64 KiB, so memory grows with bytes actually received, never
//     with the length a peer claims.
//   - Connections: at most MaxConnsPerSource concurrent connections per
//     source IP and MaxConns in total; a connection over either limit is
//     answered with a busy error frame and closed (the client returns
//     ErrBusy and may retry).
//   - Time: the request must arrive within ReadTimeout of the accept, the
//     handler runs under HandlerTimeout, and the response must be written
//     within WriteTimeout. A peer that trickles bytes is cut off at the
//     read deadline.
//
// Without TLS the channel authenticates nobody: any host that can reach the
// port can call a method. Services treat what arrives as untrusted input
// (bounded, validated) and, where that matters, run with WithTLS.
package rpc
