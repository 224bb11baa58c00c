package gossip

import "github.com/libgossip/libgossip/gossip/wire"

// Codec turns protocol messages into bytes and back. The core always speaks
// the binary format of package wire; a Node configured with another Codec
// (WithCodec) transcodes each packet and stream at its edge, so every member
// of a cluster must use the same codec.
//
// Implementations must be safe for concurrent use. Decode must never panic
// and must return an error for any input that is not a valid encoding.
type Codec interface {
	// Name identifies the codec ("binary", "json").
	Name() string
	// Encode encodes msgs as one packet.
	Encode(msgs []wire.Message) ([]byte, error)
	// Decode decodes a packet produced by Encode.
	Decode(b []byte) ([]wire.Message, error)
}

// BinaryCodec is the default Codec: the compact, versioned binary format of
// package wire.
type BinaryCodec struct{}

// Name returns "binary".
func (BinaryCodec) Name() string { return "binary" }

// Encode encodes msgs as one wire packet after checking wire's bounds.
func (BinaryCodec) Encode(msgs []wire.Message) ([]byte, error) {
	for _, m := range msgs {
		if err := wire.Validate(m); err != nil {
			return nil, err
		}
	}
	return wire.Encode(msgs...), nil
}

// Decode decodes a wire packet.
func (BinaryCodec) Decode(b []byte) ([]wire.Message, error) { return wire.DecodePacket(b) }
