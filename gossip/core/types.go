package core

import (
	"fmt"
	"strings"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// State is a member's liveness.
type State = wire.State

// Member states.
const (
	StateAlive   = wire.StateAlive
	StateSuspect = wire.StateSuspect
	StateDead    = wire.StateDead
	StateLeft    = wire.StateLeft
)

// NodeView is a snapshot of one member as this core sees it. The Meta map is
// a fresh copy owned by the caller.
type NodeView struct {
	ID          string
	Addr        string
	State       State
	Incarnation uint64
	Meta        map[string]string
}

// String formats the view as "id@addr(state/incarnation)".
func (v NodeView) String() string {
	return fmt.Sprintf("%s@%s(%s/%d)", v.ID, v.Addr, v.State, v.Incarnation)
}

// EventType is the kind of a membership Event.
type EventType uint8

// Event types.
const (
	// EventJoin: a member became known and alive (or rejoined after it
	// was declared failed or left).
	EventJoin EventType = iota + 1
	// EventUpdate: an alive member changed its metadata or address.
	EventUpdate
	// EventSuspect: a member is suspected of having failed.
	EventSuspect
	// EventAlive: a suspected member refuted the suspicion (alive again).
	EventAlive
	// EventFailed: a member was declared failed.
	EventFailed
	// EventLeft: a member left gracefully.
	EventLeft
	// EventConflict: two live members claim one id. Member is the record
	// this core holds, Other the conflicting claim.
	EventConflict
	// EventUser: a user broadcast arrived. Member.ID is its origin and
	// Payload its bytes.
	EventUser
	// EventRefuted: this member refuted a suspicion or death of itself by
	// raising its incarnation. Member is its own view after the refutation
	// and Accusers names who accused it, when the accusation said.
	EventRefuted
)

var eventNames = [...]string{"", "join", "update", "suspect", "alive", "failed", "left", "conflict", "user", "refuted"}

// EventOrigin says what made this member observe an event.
type EventOrigin uint8

// Event origins.
const (
	// OriginLocal: this member's own timers and probes (a failure declared
	// when its own suspicion timeout ran out, a suspicion it raised after
	// its own probe failed) or a call of its owner (Meet, SetMeta...).
	OriginLocal EventOrigin = iota
	// OriginGossip: a message from another member (a failure or suspicion
	// learned from gossip, an announcement, a broadcast).
	OriginGossip
)

// String returns "local" or "gossip".
func (o EventOrigin) String() string {
	switch o {
	case OriginLocal:
		return "local"
	case OriginGossip:
		return "gossip"
	}
	return fmt.Sprintf("origin(%d)", uint8(o))
}

// MaxAccusers bounds Event.Accusers and the accusers a suspicion records.
const MaxAccusers = 16

// String returns the lower-case name of t.
func (t EventType) String() string {
	if int(t) < len(eventNames) && t != 0 {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", uint8(t))
}

// Event is a membership change or a user broadcast observed by the core.
type Event struct {
	Type EventType
	// Time is the now passed to the call that produced the event.
	Time time.Time
	// Member is the member's view after the change.
	Member NodeView
	// Other is the conflicting claim, for EventConflict; nil otherwise.
	Other *NodeView
	// Payload is the broadcast's bytes, for EventUser.
	Payload []byte
	// Origin says whether this member observed the event through its own
	// timers, probes or owner's calls, or learned it from a message.
	Origin EventOrigin
	// Accusers are the ids of the members that suspected or declared the
	// member failed, for EventSuspect, EventFailed and EventRefuted, in the
	// order their accusations arrived (this member's own id when it
	// accused); at most MaxAccusers. A failure declared by this member's
	// own timer lists every accuser its suspicion collected; one learned
	// from gossip lists the member that declared it. The slice is owned
	// by the caller.
	Accusers []string
}

// String formats the event for logs and golden traces.
func (e Event) String() string {
	switch e.Type {
	case EventUser:
		return fmt.Sprintf("%s from %s: %q", e.Type, e.Member.ID, e.Payload)
	case EventConflict:
		if e.Other == nil {
			break
		}
		return fmt.Sprintf("%s %s vs %s", e.Type, e.Member, *e.Other)
	case EventRefuted:
		if len(e.Accusers) > 0 {
			return fmt.Sprintf("%s %s accused by %s", e.Type, e.Member, strings.Join(e.Accusers, ","))
		}
	}
	return fmt.Sprintf("%s %s", e.Type, e.Member)
}

// Outbound is an encoded packet for the caller to deliver.
type Outbound struct {
	// To is the destination address.
	To string
	// Data is a complete wire packet, owned by the caller.
	Data []byte
	// Reliable asks for delivery over a stream rather than as a packet.
	Reliable bool
}

// Ready is the output accumulated since the last call to Ready.
type Ready struct {
	Messages []Outbound
	Events   []Event
}

// Stats are the core's counters since New. All counts are cumulative.
type Stats struct {
	PacketsIn, PacketsOut     uint64 // packets handled and produced (including reliable)
	BytesIn, BytesOut         uint64
	Malformed                 uint64 // inputs that failed to decode, dropped whole
	Misdirected               uint64 // pings meant for another id
	Stale                     uint64 // updates older than what is known
	UnknownAcks               uint64 // acks and nacks matching no pending probe
	Probes                    uint64 // direct probes started
	ProbesFailed              uint64 // probes that ended with no ack
	IndirectProbes            uint64 // ping-reqs sent
	Suspicions                uint64 // members this core started suspecting
	Refutations               uint64 // times this core refuted a suspicion or death of itself
	Failed                    uint64 // members declared failed
	Conflicts                 uint64 // id conflicts seen
	Damped                    uint64 // refutations and rejoins of flapping members ignored
	PushPulls                 uint64 // full-state exchanges started
	ReconnectAcks             uint64 // reconnect pings a failed member answered (each followed by a full-state exchange)
	Digests                   uint64 // table digests sent (periodic anti-entropy)
	UserDropped               uint64 // user broadcasts dropped because the queue was full
	UpdatesDropped            uint64 // membership updates dropped because the queue was full
	UserDuplicates            uint64 // user broadcasts received again and ignored
	IncarnationRefused        uint64 // updates refused for an implausible incarnation (see Config.MaxIncarnationJump)
	MembersRefused            uint64 // new members refused by MaxNewPerPacket, MaxNewPerPushPull or MaxMembers
	ReliableRefused           uint64 // reliable pings that arrived as packets from unknown members, dropped
	StreamsOut                uint64 // messages sent over streams (each one dial): reliable pings and acks, full-state exchanges
	DialsSkipped              uint64 // stream pings not sent while the target's earlier ones went unanswered
	LateTicks                 uint64 // ticks that came more than half a probe timeout after their deadline
	LateHolds                 uint64 // verdicts (suspicions, confirmations, failures) held back because this member ran late
	EarlyRounds               uint64 // gossip rounds run before GossipInterval had elapsed, for news (see Config.DisableEarlyGossip)
	Awareness                 int    // current local health multiplier minus one
	Members, LiveMembers      int    // records held (all states) and alive or suspect, self excluded
	QueuedUpdates, QueuedUser int    // pending broadcasts
}
