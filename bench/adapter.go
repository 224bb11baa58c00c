package bench

import (
	"context"
	"time"

	"github.com/libgossip/libgossip/bench/fault"
)

// Impl is one membership implementation under test. Implementations must be
// safe for concurrent use: the runner starts and joins nodes from several
// goroutines.
type Impl interface {
	// Name is a short lower-case name for tables ("libgossip").
	Name() string
	// Start starts one member listening on 127.0.0.1 with a free port,
	// its transport wrapped by spec.Faults, its events delivered to
	// spec.Observe. It returns once the member accepts traffic; the
	// member is alone until Join.
	Start(ctx context.Context, spec NodeSpec) (Node, error)
}

// Node is one running member, as the runner drives it. Methods may block
// up to ctx; they are called from one goroutine at a time per Node.
type Node interface {
	// Addr is the address other members join through ("127.0.0.1:port").
	Addr() string
	// Join contacts seed and returns once it has answered.
	Join(ctx context.Context, seed string) error
	// SetMeta replaces the member's metadata with {key: value} and starts
	// spreading it.
	SetMeta(ctx context.Context, key, value string) error
	// Leave announces a graceful departure and waits for it to be sent.
	Leave(ctx context.Context) error
	// Crash takes the member off the network without telling anyone
	// (its injector goes down) and stops it. No leave is sent.
	Crash(ctx context.Context) error
	// Shutdown stops the member and releases its sockets and goroutines.
	// Shutdown after Crash or Shutdown is a no-op.
	Shutdown(ctx context.Context) error
}

// NodeSpec is what the runner gives Impl.Start.
type NodeSpec struct {
	// ID is the member's unique name.
	ID string
	// Params selects the protocol timing.
	Params Params
	// Faults wraps the member's transport; the runner owns it.
	Faults *fault.Injector
	// Dials, if not nil, fails the member's outgoing stream dials at its
	// rate; the runner owns it.
	Dials *DialFaults
	// Observe receives every membership event this member sees. It is
	// safe for concurrent use and never blocks.
	Observe func(Event)
}

// Params are the protocol settings the benchmark varies. A zero field
// keeps the implementation's LAN default (both libraries default to a 1s
// probe interval, 500ms probe timeout, 200ms gossip interval and fanout
// 3); every other setting stays at each library's LAN default.
type Params struct {
	ProbeInterval  time.Duration
	ProbeTimeout   time.Duration
	GossipInterval time.Duration
	Fanout         int
	// SuspicionMult, if above zero, replaces both libraries'
	// SuspicionMult (memberlist's default 4, libgossip's LAN preset's).
	SuspicionMult int `json:",omitempty"`
	// FlapThreshold, if not zero, replaces libgossip's FlapThreshold
	// (negative: flap damping off); memberlist has no such rule and
	// ignores it.
	FlapThreshold int `json:",omitempty"`
	// NoLateHold switches libgossip's lateness rule off
	// (core.Config.DisableLateHold); memberlist ignores it.
	NoLateHold bool `json:",omitempty"`
}

// Matched returns the matched pair of settings for probe interval p:
// probe timeout p/2, gossip interval p/5, fanout 3. Matched(time.Second)
// equals both libraries' LAN defaults.
func Matched(p time.Duration) Params {
	return Params{ProbeInterval: p, ProbeTimeout: p / 2, GossipInterval: p / 5, Fanout: 3}
}

// EventType is a kind of membership event, common to all implementations.
type EventType int

// Event types. Implementations that do not report a kind (memberlist has
// no alive-again callback) simply never emit it.
const (
	Join    EventType = iota + 1 // subject became a member (or alive again)
	Update                       // subject's metadata changed
	Suspect                      // observer suspects subject
	Failed                       // observer declared subject failed
	Left                         // subject left gracefully
	Refuted                      // observer refuted a suspicion or death of itself (Subject = Observer)
)

// String returns the type's lower-case name.
func (t EventType) String() string {
	switch t {
	case Join:
		return "join"
	case Update:
		return "update"
	case Suspect:
		return "suspect"
	case Failed:
		return "failed"
	case Left:
		return "left"
	case Refuted:
		return "refuted"
	}
	return "unknown"
}

// Event is one membership change seen by one member.
type Event struct {
	// Observer is the ID of the member that saw the change.
	Observer string
	// Subject is the ID of the member that changed.
	Subject string
	Type    EventType
	// Meta is the subject's metadata value under the runner's key, for
	// Join and Update.
	Meta string
	// Time is when the observer saw it.
	Time time.Time
	// Local is set for a suspicion the observer raised itself, from its
	// own probe (memberlist logs only those), rather than heard of.
	Local bool
	// Detail describes the event as the library reported it (libgossip:
	// origin and accusers), for traces; may be empty.
	Detail string
}

// MetaKey is the metadata key the runner sets.
const MetaKey = "v"
