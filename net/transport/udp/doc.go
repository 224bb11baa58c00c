// Package udp is a packet-only gossip.Transport over one UDP socket.
//
// It carries the SWIM protocol's small messages; it has no streams, so a
// Node on it alone cannot do full-state exchange over TCP. Use the hybrid
// transport (UDP packets and TCP streams on one port) unless you know you
// want this one.
//
// One goroutine, started by Start and stopped by Close, reads the socket
// into a reused buffer and hands a right-sized copy of each packet to the
// Handler's HandlePacket, which must not block. Packets larger than the
// packet size are dropped and counted as stats.Oversize.
//
// Besides WritePacket, the transport offers gossip.PacketTryWriter: on
// Linux, macOS and the BSDs, TryWritePacket sends with one non-blocking
// sendto on a duplicate of the socket's descriptor and refuses with
// gossip.ErrWouldBlock what would wait (a full socket buffer, a host name
// to resolve), so a Node can write its packets from its protocol goroutine
// without a hand-off to a sender goroutine. Elsewhere it refuses every
// packet and WritePacket carries them all.
package udp
