// Package core is the SWIM membership protocol as a deterministic state
// machine, in the style of etcd-io/raft's RawNode.
//
// # Model
//
// A Core holds one member's view of the cluster: every other member's id,
// address, metadata, incarnation number and state (alive, suspect, dead,
// left). It never reads a clock, performs I/O, starts goroutines or takes
// locks; time arrives as arguments and randomness from Config.Rand. The same
// inputs always give the same outputs, which is what lets one implementation
// run in unit tests, the simulator, the runtime Node and the C API.
//
// # Protocol
//
//   - Failure detection: every ProbeInterval the core pings the next member
//     of a randomized round-robin walk. With no ack after ProbeTimeout it
//     asks IndirectChecks members to ping the target (ping-req), and if
//     they bring no ack within a third of the time left, sends a reliable
//     ping over a stream. With no ack by the end of the interval the
//     target becomes suspect. After a stream ping goes unanswered, the
//     next one to that member waits one probe interval, doubling per miss
//     up to eight (counted in Stats().DialsSkipped); a stream ack clears
//     the wait.
//   - Lifeguard: a local health multiplier stretches this member's own
//     probe interval and timeout when it misses acks and nacks; suspicion
//     timeouts start at SuspicionMaxTimeoutMult times the minimum and shrink
//     with each independent confirmation, to the minimum at
//     SuspicionConfirmations (k) and on to two thirds of it with more; a
//     new suspicion is sent to the
//     suspect first, and pings to a suspect carry the suspicion, so a live
//     member hears it and refutes with a higher incarnation. It also sends
//     the refutation straight to the accuser (again if the accusation
//     reaches it later, at most twice per accuser and incarnation), unless
//     its own pings go mostly unanswered: the accuser is the member most
//     likely to miss a gossiped refutation.
//   - Lateness: a member whose own probe timers fire more than half a
//     ProbeTimeout late (its process is starved of CPU, so acks and
//     refutations may be waiting unread in its queue) raises its local
//     health multiplier and, for a probe interval, raises no suspicion
//     from an unanswered probe or confirmation and holds back the failure
//     declarations its suspicions come to (at most four times each), so a
//     loaded machine does not turn into a storm of false failures
//     (Stats().LateTicks, LateHolds; Config.DisableLateHold).
//   - A failure declared by another member is final only for a member
//     already suspected here on another member's word (or its own). A
//     failure of a member this one holds alive is taken as a suspicion by
//     the declarer: the member hears it and can refute, and this member
//     checks for itself; and the declarer's word again, when it is all
//     this member has, adds nothing. So one member that can hardly
//     receive (it never hears refutations) cannot fail healthy ones.
//   - Confirmation and last chance: a member that hears of a suspicion pings
//     the suspect itself with probability 2(k+1)/N, confirming it or helping
//     it refute; a member about to declare a failure that its own full
//     probe did not establish (it heard of it, or confirmed it with one
//     unanswered ping), or whose suspect flaps (see below: its refutation
//     of this suspicion may have missed this member), checks the suspect
//     first, up to six times (ping,
//     ping-reqs, and from the second check a stream ping), and on an
//     answer fetches its state instead.
//   - Flap damping damps events, not members: a member that refutes
//     FlapThreshold suspicions within FlapWindow (one that may send but
//     hardly receive, on and off) has its later refutations checked
//     before they count. Each is noted and applied only when the member
//     answers this member's own reachability check (ping, ping-req through
//     IndirectChecks members, stream ping), up to six checks (twelve when
//     this member's own pings often go unanswered); while they
//     run, a new suspicion at a later incarnation keeps the running one's
//     clock, and a member that applied a later refutation suspects the
//     member again when it hears of its failure at an older incarnation,
//     so refutations cannot outrun the checks; a member that answers none is
//     declared failed at the incarnation it was suspected at, so the
//     failure is stale wherever its refutation was believed, and it is
//     readmitted when it answers a check (a member that hears it was
//     declared failed at an incarnation it has since refuted sends its
//     announcement straight to the declarer). How much evidence an answer
//     needs depends on this member's own view of the network: when nearly
//     all of its own direct pings are answered (a clean network), a
//     member that misses checks is at fault and must answer most of them;
//     on a lossy network every member misses some and one answer is
//     enough. Forged suspicions can therefore cost a healthy member
//     refutations and checks but not its membership, uniform loss cannot
//     damp the whole cluster out, and a flip-flopping member is removed.
//   - Dissemination: updates ride on every packet, newest and least-sent
//     first, each sent RetransmitMult·max(2, ceil(log10(N+1))) times; a gossip round
//     every GossipInterval sends pending updates to GossipFanout live
//     members and one member that failed within GossipToTheDead. News
//     (an update or broadcast not yet sent in a gossip round, even if it
//     rode on an ack; a suspicion is not news)
//     does not wait for the next round: it is gossiped at once in an
//     early round, at most one per GossipInterval (and one more for the
//     member's own announcement), which leaves the regular schedule as
//     it was; so a metadata change crosses each hop in a network delay,
//     and rounds come at most twice as often as configured (three times
//     with news of the member itself), only while news keeps coming
//     (Stats().EarlyRounds; Config.DisableEarlyGossip). Packets
//     to members that are not alive (suspected or failed) carry updates
//     without counting against their limit, so that the few sends a small
//     cluster allows each update are not spent on a crashed member (which
//     once left a metadata change waiting for the next push-pull).
//     User broadcasts share each packet by a fixed rule: UserShare of the
//     free space is reserved for them, the rest for membership, and space
//     one kind leaves unused goes to the other. Receivers drop broadcasts
//     they have seen, by origin and sequence number; a member numbers its
//     broadcasts from its starting incarnation's low 32 bits times 2^32, so
//     a restart (at a higher incarnation) is a new epoch whose broadcasts
//     are never mistaken for the earlier life's.
//   - Anti-entropy: every PushPullInterval (growing with log2 N above 32
//     members) a member sends one random member a digest of its table (the
//     record count and a sum of record hashes, one small packet); the
//     partner starts a full-state push-pull only if its own table gives
//     another digest, so a steady cluster exchanges no tables and traffic
//     per member does not grow with N. Full-state exchanges: a few extra
//     exchanges right after joining (CatchUpSyncs), one repair exchange
//     two gossip intervals after the update queue last dropped an update
//     it had not finished sending (a join burst overflows every queue, and
//     the few members that miss an announcement would otherwise wait for
//     the periodic exchange, minutes apart in a large cluster), and
//     tries of failed members every ReconnectInterval (a ping; full state
//     once one answers) so that healed partitions merge.
//   - Restarts: a member restarting with its old id starts at a higher
//     incarnation (the runtime uses the wall clock) and refutes any record
//     of its earlier life it meets; a live member whose id is claimed from
//     another address reports EventConflict.
//   - Incarnation bounds: an update claiming an incarnation more than
//     MaxIncarnationJump above the one held here (or, for an unknown
//     member, in the upper half of the range) is refused and counted in
//     Stats().IncarnationRefused; an accusation about this member may jump
//     only half as far, and a refutation never wraps. One forged message
//     can cost a member a refutation, never its membership.
//   - Membership bounds: one received packet may add at most
//     MaxNewPerPacket members, one full-state exchange MaxNewPerPushPull,
//     and the table never holds more than MaxMembers records; refused
//     announcements are counted in Stats().MembersRefused.
//   - Tombstones: left members are remembered for TombstoneTimeout, failed
//     ones for ReconnectTimeout, then reaped.
//
// # Events
//
// Events report membership changes in the order this member observed them.
// Each says where it came from (Event.Origin: this member's own timers,
// probes and owner's calls, or a message from another member) and, for
// suspicions, failures and refutations, who accused the member
// (Event.Accusers, at most MaxAccusers). When this member refutes a
// suspicion or death of itself it reports EventRefuted.
//
// # Driver loop
//
//	c, err := core.New(cfg)
//	for {
//		// Wait for c.NextDeadline(), a packet, or a user call.
//		c.Tick(now)                                   // or:
//		err := c.HandleMessage(now, from, data)       // a packet; bad input: error, no change
//		err := c.HandleStreamMessage(now, from, data) // or: input read from a stream
//		rd := c.Ready()
//		for _, m := range rd.Messages { /* send m.Data to m.To; over a stream if m.Reliable */ }
//		for _, e := range rd.Events { /* publish */ }
//	}
//
// Input read from a stream goes to HandleStreamMessage, packets to
// HandleMessage: only a reliable ping that arrived over a stream is
// answered over a stream. A reliable ping in a packet (whose source address
// anyone can forge) is answered as a packet to the sender's known address,
// or dropped and counted in Stats().ReliableRefused if the sender is
// unknown, so a forged packet never makes a member dial out.
//
// A Core is not safe for concurrent use; its owner serializes calls.
package core
