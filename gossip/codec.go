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

// encodePacket encodes a core packet with the Node's codec so that it fits
// size bytes. A packet that encodes larger is split into several, each
// with a share of its messages; a message too large to fit any packet on
// its own is returned in big, as a wire packet to send over a stream. The
// core sizes its packets for the binary format, so only other codecs (and
// transports whose packet size is below the core's minimum) split.
func (n *Node) encodePacket(data []byte, size int) (pkts, big [][]byte, err error) {
	_, bin := n.opts.codec.(BinaryCodec)
	if bin && (size <= 0 || len(data) <= size) {
		return [][]byte{data}, nil, nil
	}
	msgs, err := wire.DecodePacket(data)
	if err != nil {
		return nil, nil, err
	}
	var split func(ms []wire.Message) error
	split = func(ms []wire.Message) error {
		b, err := n.opts.codec.Encode(ms)
		if err != nil {
			return err
		}
		switch {
		case size <= 0 || len(b) <= size:
			pkts = append(pkts, b)
		case len(ms) == 1:
			big = append(big, wire.Encode(ms[0]))
		default:
			if err := split(ms[:len(ms)/2]); err != nil {
				return err
			}
			return split(ms[len(ms)/2:])
		}
		return nil
	}
	if err := split(msgs); err != nil {
		return nil, nil, err
	}
	if len(pkts) != 1 || len(big) != 0 {
		n.oversize.Add(1)
	}
	return pkts, big, nil
}

// encode applies the codec to a core packet bound for a stream.
func (n *Node) encode(data []byte) ([]byte, error) {
	if _, bin := n.opts.codec.(BinaryCodec); bin {
		return data, nil
	}
	msgs, err := wire.DecodePacket(data)
	if err != nil {
		return nil, err
	}
	return n.opts.codec.Encode(msgs)
}
