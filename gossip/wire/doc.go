// Package wire is libgossip's binary wire format: the messages the SWIM core
// exchanges and the packets that carry them.
//
// A packet is one version byte followed by one or more messages; a packet
// holding several messages is a compound packet. Each message is
//
//	type (1 byte) | body length (uvarint) | body
//
// Bodies use unsigned varints for integers and a uvarint length before every
// string and byte slice. Metadata is carried as an opaque, already validated
// encoding of sorted key/value pairs (see EncodeMeta).
//
// Decoding any byte string either succeeds or returns an error wrapping
// ErrMalformed or ErrVersion: it never panics, never allocates more than a
// small multiple of the input's length, and has no side effects. Every length
// is bounded (MaxIDLen, MaxAddrLen, MaxMetaSize, MaxPayloadSize).
//
// The package is pure: no I/O, no clock, no goroutines.
package wire
