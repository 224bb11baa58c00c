package stats

import (
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Reason says why a packet or stream was dropped.
type Reason uint8

// Drop reasons. New reasons may be added; their values are not persisted.
const (
	// Decode is a packet, frame or envelope that could not be parsed.
	Decode Reason = iota
	// Auth is a packet or stream that failed authentication: wrong key,
	// wrong cluster label, tampered bytes or a failed TLS handshake.
	Auth
	// RateLimit is a packet dropped by an inbound or outbound rate limit.
	RateLimit
	// Oversize is a packet or frame larger than the configured budget.
	Oversize
	// Replay is an authenticated packet seen before.
	Replay
	// Overflow is a received packet or stream dropped because the
	// consumer was not reading fast enough, or a connection refused
	// because the cap on concurrent connections was reached.
	Overflow
	numReasons
)

var reasonNames = [numReasons]string{"decode", "auth", "rate_limit", "oversize", "replay", "overflow"}

// String returns the reason's lower_snake_case name ("auth", "rate_limit").
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Reasons returns every drop reason, in order.
func Reasons() []Reason {
	rs := make([]Reason, numReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

// Counters counts traffic. The zero value is ready to use. A nil *Counters
// is valid and counts nothing, so components can hold one unconditionally.
type Counters struct {
	packetsIn, packetsOut atomic.Uint64
	bytesIn, bytesOut     atomic.Uint64
	streamsIn, streamsOut atomic.Uint64
	drops                 [numReasons]atomic.Uint64
}

// New returns a zeroed Counters.
func New() *Counters { return new(Counters) }

// PacketIn counts one received packet of n bytes.
func (c *Counters) PacketIn(n int) {
	if c != nil {
		c.packetsIn.Add(1)
		c.bytesIn.Add(uint64(n))
	}
}

// PacketOut counts one sent packet of n bytes.
func (c *Counters) PacketOut(n int) {
	if c != nil {
		c.packetsOut.Add(1)
		c.bytesOut.Add(uint64(n))
	}
}

// StreamIn counts one accepted stream.
func (c *Counters) StreamIn() {
	if c != nil {
		c.streamsIn.Add(1)
	}
}

// StreamOut counts one dialed stream.
func (c *Counters) StreamOut() {
	if c != nil {
		c.streamsOut.Add(1)
	}
}

// Drop counts one packet or stream dropped for reason r.
func (c *Counters) Drop(r Reason) {
	if c != nil && r < numReasons {
		c.drops[r].Add(1)
	}
}

// Snapshot returns the current values. A nil *Counters gives a zero
// Snapshot.
func (c *Counters) Snapshot() Snapshot {
	var s Snapshot
	if c == nil {
		return s
	}
	s.PacketsIn = c.packetsIn.Load()
	s.PacketsOut = c.packetsOut.Load()
	s.BytesIn = c.bytesIn.Load()
	s.BytesOut = c.bytesOut.Load()
	s.StreamsIn = c.streamsIn.Load()
	s.StreamsOut = c.streamsOut.Load()
	for i := range s.Drops {
		s.Drops[i] = c.drops[i].Load()
	}
	return s
}

// Snapshot is a point-in-time copy of Counters. Counts are cumulative since
// the Counters was created.
type Snapshot struct {
	// PacketsIn and BytesIn count packets read off the network by the
	// socket layer and their size on the wire; drops by later layers
	// (authentication, rate limits) are counted in Drops as well.
	PacketsIn, BytesIn uint64
	// PacketsOut and BytesOut count packets handed to the network and
	// their size on the wire.
	PacketsOut, BytesOut uint64
	// StreamsIn and StreamsOut count accepted and dialed streams.
	StreamsIn, StreamsOut uint64
	// Drops counts drops, indexed by Reason.
	Drops [numReasons]uint64
}

// Dropped returns the number of drops for reason r.
func (s Snapshot) Dropped(r Reason) uint64 {
	if r < numReasons {
		return s.Drops[r]
	}
	return 0
}

// TotalDropped returns the number of drops for every reason.
func (s Snapshot) TotalDropped() uint64 {
	var n uint64
	for _, d := range s.Drops {
		n += d
	}
	return n
}

// LogValue implements slog.LogValuer.
func (s Snapshot) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Uint64("packets_in", s.PacketsIn), slog.Uint64("packets_out", s.PacketsOut),
		slog.Uint64("bytes_in", s.BytesIn), slog.Uint64("bytes_out", s.BytesOut),
		slog.Uint64("streams_in", s.StreamsIn), slog.Uint64("streams_out", s.StreamsOut),
	}
	for i, d := range s.Drops {
		attrs = append(attrs, slog.Uint64("dropped_"+Reason(i).String(), d))
	}
	return slog.GroupValue(attrs...)
}

// Reporter is implemented by transports that expose their counters.
type Reporter interface {
	// Stats returns a snapshot of the transport's counters.
	Stats() Snapshot
}
