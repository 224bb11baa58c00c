package gossip

import "github.com/libgossip/libgossip/gossip/core"

// Config configures a Node's protocol; see core.Config for every field, its
// unit and its default. Addr may be left empty: the Node then uses its
// transport's address. A Node ignores PacketSize: the packet size belongs
// to the Transport (Transport.PacketSize), and the Node sizes the core's
// packets and its codec's output by it. Runtime settings (logger, codec,
// timeouts, queues, clock) are Options, not Config fields.
type Config = core.Config

// LANConfig returns the preset for a local-area network (the defaults).
func LANConfig() Config { return core.LANConfig() }

// WANConfig returns the preset for a wide-area network.
func WANConfig() Config { return core.WANConfig() }

// LocalConfig returns the preset for a single host or a fast local network.
func LocalConfig() Config { return core.LocalConfig() }

// NodeView is a snapshot of one member.
type NodeView = core.NodeView

// State is a member's liveness.
type State = core.State

// Member states.
const (
	StateAlive   = core.StateAlive
	StateSuspect = core.StateSuspect
	StateDead    = core.StateDead
	StateLeft    = core.StateLeft
)

// Event is a membership change or a user broadcast.
type Event = core.Event

// EventType is the kind of an Event.
type EventType = core.EventType

// Event types; see core.EventType.
const (
	EventJoin     = core.EventJoin
	EventUpdate   = core.EventUpdate
	EventSuspect  = core.EventSuspect
	EventAlive    = core.EventAlive
	EventFailed   = core.EventFailed
	EventLeft     = core.EventLeft
	EventConflict = core.EventConflict
	EventUser     = core.EventUser
	EventRefuted  = core.EventRefuted
)

// EventOrigin says whether this member observed an event through its own
// timers and probes or learned it from another member.
type EventOrigin = core.EventOrigin

// Event origins; see core.EventOrigin.
const (
	OriginLocal  = core.OriginLocal
	OriginGossip = core.OriginGossip
)
