package sim

import (
	"github.com/libgossip/libgossip/gossip/wire"
)

// Traffic counts what members sent, by kind: a packet's kind is the type
// of its first message (a packet that exists only to gossip starts with a
// broadcast: alive, suspect, dead or user), and messages sent over a
// stream are counted apart from packets.
type Traffic struct {
	Packets [wire.TypeUser + 1]uint64
	Streams [wire.TypeUser + 1]uint64
}

// count adds one sent message with the given encoding.
func (t *Traffic) count(data []byte, stream bool) {
	k := 0
	if len(data) > wire.HeaderSize && data[wire.HeaderSize] <= byte(wire.TypeUser) {
		k = int(data[wire.HeaderSize])
	}
	if stream {
		t.Streams[k]++
	} else {
		t.Packets[k]++
	}
}

// sub returns t minus u, kind by kind.
func (t Traffic) sub(u Traffic) Traffic {
	for i := range t.Packets {
		t.Packets[i] -= u.Packets[i]
		t.Streams[i] -= u.Streams[i]
	}
	return t
}

// PerKind returns each non-zero count divided by per, keyed by kind: the
// wire type's name for packets ("ping", "suspect"), prefixed by "stream "
// for streams; kind 0 (an empty packet) is "empty".
func (t Traffic) PerKind(per float64) map[string]float64 {
	out := map[string]float64{}
	name := func(i int) string {
		if i == 0 {
			return "empty"
		}
		return wire.Type(i).String()
	}
	for i := range t.Packets {
		if t.Packets[i] > 0 {
			out[name(i)] = float64(t.Packets[i]) / per
		}
		if t.Streams[i] > 0 {
			out["stream "+name(i)] = float64(t.Streams[i]) / per
		}
	}
	return out
}

// Traffic returns what every member has sent so far, by kind.
func (s *Sim) Traffic() Traffic { return s.traffic }
