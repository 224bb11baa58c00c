// Package fault injects network faults into one member's traffic and counts
// what the member sends. One Injector holds the policy (loss, delay and
// jitter, inbound loss for asymmetric faults, a crash switch) and the
// counters; thin wrappers put it in front of a libgossip gossip.Transport
// (Gossip) and a hashicorp/memberlist memberlist.Transport (Memberlist), so
// both implementations see exactly the same faults.
//
// Policy, applied per packet:
//   - outbound loss: a packet the member writes is dropped with probability
//     Loss (it is still counted as sent);
//   - delay: a packet that is not dropped leaves after Delay plus a uniform
//     random extra in [0, Jitter);
//   - inbound loss: a received packet is dropped with probability RecvLoss,
//     and an accepted inbound stream is closed unread with the same
//     probability (RecvLoss 1 is a member that sends but hears nothing);
//   - down: every packet in or out is dropped and every dial fails (a
//     crashed host whose process has not been told).
//
// Streams are not subject to Loss: TCP retransmits, so uniform packet loss
// slows streams down but does not break them.
//
// An Injector is safe for concurrent use; its settings may change at any
// time and apply to the next packet.
package fault
