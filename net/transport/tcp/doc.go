// Package tcp is a gossip.Transport over TCP: reliable streams, and packets
// carried as length-prefixed frames over cached connections.
//
// Every connection opens with a one-byte preamble. 'S' marks a stream: it is
// served as is by the Handler's HandleStream on the accepting side (and
// returned by DialStream on the dialing side), and the Node writes its own
// framing on it. 'P', followed by a length byte and the sender's advertised
// address, marks a packet connection: a sequence of frames (gossip/wire/frame:
// a 4-byte big-endian length and one packet), each handed to HandlePacket
// with From set to the sender's advertised address.
//
// Limits: at most MaxConns inbound connections at once, and at most
// MaxConnsPerSource from one source IP while they are opening or carry a
// stream (more are closed at once and counted as stats.Overflow), and at
// most the larger of MaxConnsPerSource and MaxConns/4 cached packet
// connections from one IP (a host may run many members), so one address
// cannot take every slot; a new connection must send its preamble
// within the accept timeout; each frame read or write and dial is bounded
// by the IO timeout; an inbound packet connection that
// stays silent for the idle timeout is closed, and cached outbound ones are
// closed after half of it; frames larger than the maximum frame size close
// their connection and count as stats.Oversize. Streams get a deadline (the
// stream timeout) that the Handler or the dialer may move.
//
// Goroutines: one accept loop, one per inbound connection while it is being
// read or served (HandleStream runs on it), one per cached outbound
// connection watching for its close. Close closes every inbound connection
// and waits for all of them. Dialed streams belong to their caller.
package tcp
