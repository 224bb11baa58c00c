// Package peer is the cache's internal protocol between members:
// length-prefixed binary frames over TCP, multiplexed by request id, on
// connections that are authenticated to members of the cluster.
//
// A connection starts with a handshake: the server sends a random nonce,
// the client answers with its member id and an HMAC-SHA256 of the nonce
// and id under the cluster secret. The server refuses (and closes) the
// connection unless the MAC matches and its Authorizer accepts the id as
// a live member. Every frame is bounded (MaxFrame) before it is read, the
// handshake by a deadline, the connections by MaxConns.
//
// Messages (Exec, entries, keys, answers to multi-key reads) have encoders and decoders in codec.go;
// decoders bound every length and return errors wrapping ErrMalformed.
package peer
