package sim

import (
	"github.com/libgossip/libgossip/gossip/wire"
)

// Traffic counts what members sent, by kind: a packet's kind is the type
// of its first message (a packet that exists only to gossip starts with a
// broadcast: alive, suspect, dead or user), and messages sent over a
// stream are counted apart from packets. Packets and Streams count
// messages; PacketBytes and StreamBytes add up their encoded sizes.
type Traffic struct {
	Packets     [wire.MaxType + 1]uint64
	Streams     [wire.MaxType + 1]uint64
	PacketBytes [wire.MaxType + 1]uint64
	StreamBytes [wire.MaxType + 1]uint64
}

// count adds one sent message with the given encoding.
func (t *Traffic) count(data []byte, stream bool) {
	k := 0
	if len(data) > wire.HeaderSize && data[wire.HeaderSize] <= byte(wire.MaxType) {
		k = int(data[wire.HeaderSize])
	}
	if stream {
		t.Streams[k]++
		t.StreamBytes[k] += uint64(len(data))
	} else {
		t.Packets[k]++
		t.PacketBytes[k] += uint64(len(data))
	}
}

// sub returns t minus u, kind by kind.
func (t Traffic) sub(u Traffic) Traffic {
	for i := range t.Packets {
		t.Packets[i] -= u.Packets[i]
		t.Streams[i] -= u.Streams[i]
		t.PacketBytes[i] -= u.PacketBytes[i]
		t.StreamBytes[i] -= u.StreamBytes[i]
	}
	return t
}

// PerKind returns each non-zero count divided by per, keyed by kind: the
// wire type's name for packets ("ping", "suspect"), prefixed by "stream "
// for streams; kind 0 (an empty packet) is "empty".
func (t Traffic) PerKind(per float64) map[string]float64 {
	return perKind(&t.Packets, &t.Streams, per)
}

// BytesPerKind is PerKind for bytes: each kind's encoded bytes divided by
// per.
func (t Traffic) BytesPerKind(per float64) map[string]float64 {
	return perKind(&t.PacketBytes, &t.StreamBytes, per)
}

func perKind(packets, streams *[wire.MaxType + 1]uint64, per float64) map[string]float64 {
	out := map[string]float64{}
	name := func(i int) string {
		if i == 0 {
			return "empty"
		}
		return wire.Type(i).String()
	}
	for i := range packets {
		if packets[i] > 0 {
			out[name(i)] = float64(packets[i]) / per
		}
		if streams[i] > 0 {
			out["stream "+name(i)] = float64(streams[i]) / per
		}
	}
	return out
}

// Traffic returns what every member has sent so far, by kind.
func (s *Sim) Traffic() Traffic { return s.traffic }
