// Package security wraps any gossip.Transport with encryption,
// authentication, a cluster label and mutual TLS.
//
// Packets. With a Keyring, each packet is sealed with AES-GCM under the
// primary key, as
//
//	0x01 | nonce (12 bytes) | ciphertext and tag
//
// with the cluster label as additional data, and opened with any installed
// key. With only a label, each packet is 0x02 | label length | label |
// payload. A packet that fails to open or carries another label is
// dropped and counted as stats.Auth, never handed up; a sealed packet whose
// nonce was seen recently is dropped as stats.Replay.
//
// Streams. Every stream starts with a hello that the accepting side checks
// (within the handshake timeout) before the stream reaches the Handler's
// HandleStream; streams that fail it are closed and counted as
// stats.Auth. With a *tls.Config the
// stream runs inside TLS (mutual when the config requires client
// certificates; see MutualTLS) and the hello carries the label. Without
// TLS but with a Keyring, the stream is cut into AES-GCM records whose
// additional data binds the label, the direction and the record number.
//
// Limits. Replay detection covers the last ReplayWindow sealed packets;
// older replays, and replays of whole streams, are passed up, where SWIM's
// incarnation numbers make them harmless.
//
// Options that would silently weaken security, WithKeyring(nil) and
// WithTLS(nil), make Wrap and Middleware fail with ErrOption.
//
// Goroutines: none of its own. Packets are opened on the inner transport's
// receive goroutine and the stream handshake runs inside the inner
// transport's HandleStream call; the inner Close closes streams in their
// handshake and waits for them.
package security
