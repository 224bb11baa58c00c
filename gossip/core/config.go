package core

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// Config configures a Core. Zero fields take the documented default (the LAN
// preset's value); New copies the Config, fills defaults and validates it,
// and never modifies the caller's value.
type Config struct {
	// ID uniquely names this member in the cluster. Required; at most
	// wire.MaxIDLen bytes.
	ID string
	// Addr is the address other members send to (for IP transports
	// "host:port"). Required; at most wire.MaxAddrLen bytes.
	Addr string
	// Meta is this member's initial metadata. Its encoding must fit in
	// MaxMetaSize.
	Meta map[string]string
	// Incarnation is the incarnation number the member starts with.
	// A member restarting with the same ID should start higher than any
	// incarnation it used before (the runtime Node uses the wall clock in
	// seconds); if it does not, it refutes its old record when it learns
	// of it. Default 1.
	Incarnation uint64

	// ProbeInterval is the time between failure-detection probes, before
	// the local health multiplier stretches it. Default 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long to wait for a direct ack before asking
	// IndirectChecks members to probe the target. Must be less than
	// ProbeInterval. Default 500ms.
	ProbeTimeout time.Duration
	// IndirectChecks is the number of members asked to ping a target that
	// did not answer directly (k in SWIM). Default 3.
	IndirectChecks int
	// DisableFallbackProbe turns off the reliable (stream) ping that is
	// otherwise sent when the indirect probes bring no ack within a third
	// of the probe's remaining time (and in reachability checks), so that
	// a member unreachable over packets but reachable over streams is not
	// suspected. Stream pings to a member back off while they go
	// unanswered. Default false (the fallback probe is on).
	DisableFallbackProbe bool

	// SuspicionMult scales the minimum suspicion timeout:
	// SuspicionMult · max(1, log10(N)) · ProbeInterval, where N is the
	// number of live members. Default 2.
	SuspicionMult int
	// SuspicionMaxTimeoutMult bounds the starting suspicion timeout as a
	// multiple of the minimum. Default 4.
	SuspicionMaxTimeoutMult int
	// SuspicionConfirmations is the number of independent confirmations
	// after which the suspicion timeout has shrunk to its minimum
	// (Lifeguard), k. Further confirmations shorten it on, to two thirds
	// of the minimum at most. Default 3.
	SuspicionConfirmations int
	// DisableConfirmProbe turns off confirmation probing: by default a
	// member that hears a suspicion pings the suspect once itself, and
	// either helps it refute (the ping carries the suspicion) or confirms
	// the suspicion independently when it gets no answer.
	DisableConfirmProbe bool
	// DisableLateHold turns off the lateness rule: by default a member
	// whose own ticks come more than half a ProbeTimeout late raises its
	// local health multiplier and, for a probe interval, holds back the
	// suspicions and failures its missing answers would cause (an answer
	// may be waiting unread in its queue). Default false.
	DisableLateHold bool
	// FlapThreshold is the number of refuted suspicions within FlapWindow
	// after which a member is taken to be flapping (it can send, as its
	// refutations show, but may hardly receive, on and off). A flapping
	// member keeps its membership as long as it can be reached: each of
	// its refutations is applied only once it answers this member's own
	// reachability checks (a ping, a ping-req through IndirectChecks
	// members and a stream ping); if it answers none, its suspicion runs
	// to a failure, and once failed it is readmitted when it answers a
	// check. On a clean network (nearly all of this member's own direct
	// pings answered) a refutation needs two answers and a member that
	// has missed recent checks must answer several in a row; on a lossy
	// one any answer will do. Damping ends FlapWindow after the member's
	// last refutation. Default 3; negative disables.
	FlapThreshold int
	// FlapWindow is the window of FlapThreshold: refutations older than
	// this are forgotten, which releases a member once the network heals.
	// Default 2m.
	FlapWindow time.Duration
	// AwarenessMaxMultiplier caps the local health multiplier (Lifeguard):
	// a member that misses acks and nacks stretches its own probe interval
	// and timeout up to this factor. Default 8.
	AwarenessMaxMultiplier int

	// GossipInterval is the time between regular gossip rounds, which run
	// while broadcasts are queued; news may add one early round per
	// interval (see DisableEarlyGossip). Default 200ms.
	GossipInterval time.Duration
	// DisableEarlyGossip turns off early gossip rounds. By default, when
	// news is queued (an update or user broadcast this member has not
	// yet sent in a gossip round, even if it rode on a probe or an ack
	// to one member: a member joined, changed its metadata, refuted,
	// failed or left, or a broadcast arrived), the member gossips at once
	// instead of waiting up to GossipInterval for its next round, so
	// news crosses each hop in a network delay rather than in half an
	// interval on average. At most one early round runs per
	// GossipInterval (news that comes sooner waits for the next round of
	// either kind), and an early round does not move the regular
	// schedule. The member's own announcement (after SetMeta or a
	// refutation) has a second allowance of one early round per
	// GossipInterval, used only when the first is spent, so a busy
	// stream of others' news cannot hold it back. Rounds therefore come
	// at most three times as often as GossipInterval says (twice without
	// news of this member), and only while news keeps coming; with
	// nothing queued no round runs at all. Leave gossips at once. A
	// suspicion is not news: it waits for a regular round, so that a
	// refutation arriving meanwhile replaces it (sent at once, under 30%
	// loss suspicions reached 40% more members, each of which then
	// checked the suspect's refutation).
	// Stats().EarlyRounds counts early rounds. Default false.
	DisableEarlyGossip bool
	// GossipFanout is the number of random members each gossip round sends
	// to. Default 3.
	GossipFanout int
	// RetransmitMult is λ: every update is sent λ·ceil(log10(N+1)) times,
	// and at least 2λ times.
	// Default 4.
	RetransmitMult int
	// GossipToTheDead is how long dead members stay eligible as gossip
	// targets, so that a member declared dead by mistake hears it and
	// refutes. Default 30s.
	GossipToTheDead time.Duration

	// PushPullInterval is the base period of anti-entropy with one random
	// member: this member sends a digest of its table, and the partner
	// starts a full-state exchange only if its own table differs, so a
	// steady cluster exchanges no tables. Above 32 members the period
	// grows by one base period for each doubling of the cluster. Zero
	// means the default 30s; a negative value disables periodic
	// anti-entropy.
	PushPullInterval time.Duration
	// CatchUpSyncs is the number of extra full-state exchanges a member
	// makes right after it joins, 2, 6 and 14 gossip intervals later
	// (doubling gaps), to repair what it missed in the join burst. The
	// first table it receives is not gossiped again, so these exchanges
	// are how early joiners learn of later ones quickly. Default 3;
	// negative disables.
	CatchUpSyncs int

	// TombstoneTimeout is how long a member that left is remembered
	// before it is reaped. Default 60s.
	TombstoneTimeout time.Duration
	// ReconnectTimeout is how long a failed member is remembered before it
	// is reaped; until then it is tried again every ReconnectInterval, so
	// that the two sides of a healed partition find each other.
	// Default 30m.
	ReconnectTimeout time.Duration
	// ReconnectInterval is the time between tries of one random failed
	// member: a ping, followed by a full-state exchange if it answers
	// (every fourth try is the exchange at once, over a stream). Zero
	// means the default 10s; negative disables.
	ReconnectInterval time.Duration

	// MaxIncarnationJump bounds how far above the incarnation held here a
	// received update may claim a member to be (a member not yet known
	// may start anywhere in the lower half of the range, 0 to 2^63-1, so
	// that wall-clock incarnations in any unit are admitted). Claims beyond it are
	// implausible: an honest member raises its incarnation by one per
	// refutation or metadata change, and a restart with the wall clock in
	// seconds jumps by less than 2^35 in a thousand years. They are
	// dropped and counted in Stats().IncarnationRefused, so one forged
	// message cannot push a member's incarnation to the top of the range.
	// A claim about the local member may jump half as far, so that its
	// refutation stays plausible to others, and a member never refutes at
	// an incarnation that would wrap. Default 2^40.
	MaxIncarnationJump uint64

	// MaxMembers bounds the member table (records in every state, self
	// excluded). A new member announced when the table is full is refused
	// and counted in Stats().MembersRefused; records are freed as failed
	// and left members are reaped. Default 65,536.
	MaxMembers int
	// MaxNewPerPacket bounds the members one received packet may add to
	// the table; announcements of further unknown members in the same
	// packet are refused and counted in Stats().MembersRefused (gossip
	// brings them again). Default 32.
	MaxNewPerPacket int
	// MaxNewPerPushPull bounds the members one full-state exchange may add
	// (the answer to a join carries the whole cluster, so this bounds the
	// cluster size a member learns in one exchange; catch-up exchanges
	// bring the rest). Refusals are counted in Stats().MembersRefused.
	// Default 16,384.
	MaxNewPerPushPull int

	// PacketSize is the largest packet the core builds, in bytes.
	// Default 1400.
	PacketSize int
	// MaxMetaSize is the limit on encoded metadata, in bytes (at most
	// wire.MaxMetaSize). Metadata larger than fits in one packet spreads
	// over streams. Default 1024.
	MaxMetaSize int
	// UserShare is the fraction of each packet's free space reserved for
	// user broadcasts; membership updates are reserved the rest, and space
	// one kind leaves unused goes to the other. Default 0.3; must be in
	// (0, 1).
	UserShare float64
	// MaxUserQueue bounds the number of pending user broadcasts; the
	// oldest is dropped (and counted) when it is full. Default 4096.
	MaxUserQueue int
	// MaxUpdateQueue bounds the number of pending membership updates. When
	// it is full the most-sent, oldest update is dropped (and counted):
	// it has already spread the furthest, and anti-entropy repairs what a
	// drop misses. Default 2048.
	MaxUpdateQueue int

	// Rand is the only source of randomness. Default: a PCG seeded from a
	// hash of ID, so a Core is deterministic even when unset.
	Rand rand.Source
}

// LANConfig returns the preset for a local-area network: the defaults.
func LANConfig() Config {
	return Config{
		ProbeInterval:           time.Second,
		ProbeTimeout:            500 * time.Millisecond,
		IndirectChecks:          3,
		SuspicionMult:           2,
		SuspicionMaxTimeoutMult: 4,
		SuspicionConfirmations:  3,
		AwarenessMaxMultiplier:  8,
		FlapThreshold:           3,
		FlapWindow:              2 * time.Minute,
		GossipInterval:          200 * time.Millisecond,
		GossipFanout:            3,
		RetransmitMult:          4,
		GossipToTheDead:         30 * time.Second,
		PushPullInterval:        30 * time.Second,
		CatchUpSyncs:            3,
		TombstoneTimeout:        60 * time.Second,
		ReconnectTimeout:        30 * time.Minute,
		ReconnectInterval:       10 * time.Second,
		PacketSize:              1400,
		MaxMetaSize:             1024,
		UserShare:               0.3,
		MaxUserQueue:            4096,
		MaxUpdateQueue:          2048,
		MaxIncarnationJump:      1 << 40,
		MaxMembers:              1 << 16,
		MaxNewPerPacket:         32,
		MaxNewPerPushPull:       1 << 14,
	}
}

// WANConfig returns the preset for a wide-area network: slower probes and
// gossip, longer timeouts and suspicion.
func WANConfig() Config {
	c := LANConfig()
	c.ProbeInterval = 5 * time.Second
	c.ProbeTimeout = 3 * time.Second
	c.SuspicionMult = 4
	c.SuspicionMaxTimeoutMult = 6
	c.GossipInterval = 500 * time.Millisecond
	c.GossipFanout = 4
	c.RetransmitMult = 4
	c.GossipToTheDead = 60 * time.Second
	c.PushPullInterval = 60 * time.Second
	c.TombstoneTimeout = 5 * time.Minute
	c.ReconnectTimeout = 2 * time.Hour
	c.ReconnectInterval = 30 * time.Second
	return c
}

// LocalConfig returns the preset for members on one host or a fast local
// network: quick probes, gossip and detection.
func LocalConfig() Config {
	c := LANConfig()
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	c.GossipInterval = 50 * time.Millisecond
	c.GossipToTheDead = 10 * time.Second
	c.PushPullInterval = 10 * time.Second
	c.TombstoneTimeout = 20 * time.Second
	c.ReconnectTimeout = 10 * time.Minute
	c.ReconnectInterval = 5 * time.Second
	c.RetransmitMult = 3
	return c
}

// ErrConfig is wrapped by every validation error.
var ErrConfig = errors.New("core: invalid config")

func (c *Config) fill() {
	d := LANConfig()
	setD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	setI := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setD(&c.ProbeInterval, d.ProbeInterval)
	setD(&c.ProbeTimeout, d.ProbeTimeout)
	setI(&c.IndirectChecks, d.IndirectChecks)
	setI(&c.SuspicionMult, d.SuspicionMult)
	setI(&c.SuspicionMaxTimeoutMult, d.SuspicionMaxTimeoutMult)
	setI(&c.SuspicionConfirmations, d.SuspicionConfirmations)
	setI(&c.AwarenessMaxMultiplier, d.AwarenessMaxMultiplier)
	setI(&c.FlapThreshold, d.FlapThreshold)
	setD(&c.FlapWindow, d.FlapWindow)
	setD(&c.GossipInterval, d.GossipInterval)
	setI(&c.GossipFanout, d.GossipFanout)
	setI(&c.RetransmitMult, d.RetransmitMult)
	setD(&c.GossipToTheDead, d.GossipToTheDead)
	setD(&c.PushPullInterval, d.PushPullInterval)
	setI(&c.CatchUpSyncs, d.CatchUpSyncs)
	setD(&c.TombstoneTimeout, d.TombstoneTimeout)
	setD(&c.ReconnectTimeout, d.ReconnectTimeout)
	setD(&c.ReconnectInterval, d.ReconnectInterval)
	setI(&c.PacketSize, d.PacketSize)
	setI(&c.MaxMetaSize, d.MaxMetaSize)
	setI(&c.MaxUserQueue, d.MaxUserQueue)
	setI(&c.MaxUpdateQueue, d.MaxUpdateQueue)
	setI(&c.MaxMembers, d.MaxMembers)
	setI(&c.MaxNewPerPacket, d.MaxNewPerPacket)
	setI(&c.MaxNewPerPushPull, d.MaxNewPerPushPull)
	if c.MaxIncarnationJump == 0 {
		c.MaxIncarnationJump = d.MaxIncarnationJump
	}
	if c.UserShare == 0 {
		c.UserShare = d.UserShare
	}
	if c.Incarnation == 0 {
		c.Incarnation = 1
	}
	if c.Rand == nil {
		h := fnv.New64a()
		h.Write([]byte(c.ID))
		c.Rand = rand.NewPCG(h.Sum64(), 0x6c6962676f737369)
	}
}

// MinPacketSize is the smallest accepted Config.PacketSize, in bytes.
const MinPacketSize = 512

// Validate reports every problem with c as one error wrapping ErrConfig.
// Zero fields are accepted (they mean the default).
func (c Config) Validate() error {
	c.fill()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if c.ID == "" {
		bad("ID is required")
	} else if len(c.ID) > wire.MaxIDLen {
		bad("ID is %d bytes, limit %d", len(c.ID), wire.MaxIDLen)
	}
	if c.Addr == "" {
		bad("Addr is required")
	} else if len(c.Addr) > wire.MaxAddrLen {
		bad("Addr is %d bytes, limit %d", len(c.Addr), wire.MaxAddrLen)
	}
	for name, d := range map[string]time.Duration{
		"ProbeInterval": c.ProbeInterval, "ProbeTimeout": c.ProbeTimeout,
		"GossipInterval": c.GossipInterval, "GossipToTheDead": c.GossipToTheDead,
		"TombstoneTimeout": c.TombstoneTimeout, "ReconnectTimeout": c.ReconnectTimeout,
		"FlapWindow": c.FlapWindow,
	} {
		if d < 0 {
			bad("%s is negative (%v)", name, d)
		}
	}
	if c.ProbeTimeout >= c.ProbeInterval {
		bad("ProbeTimeout (%v) must be less than ProbeInterval (%v)", c.ProbeTimeout, c.ProbeInterval)
	}
	for name, v := range map[string]int{
		"IndirectChecks": c.IndirectChecks, "SuspicionMult": c.SuspicionMult,
		"SuspicionMaxTimeoutMult": c.SuspicionMaxTimeoutMult,
		"SuspicionConfirmations":  c.SuspicionConfirmations,
		"AwarenessMaxMultiplier":  c.AwarenessMaxMultiplier,
		"GossipFanout":            c.GossipFanout, "RetransmitMult": c.RetransmitMult,
		"MaxUserQueue": c.MaxUserQueue, "MaxUpdateQueue": c.MaxUpdateQueue,
		"MaxMembers": c.MaxMembers, "MaxNewPerPacket": c.MaxNewPerPacket,
		"MaxNewPerPushPull": c.MaxNewPerPushPull,
	} {
		if v < 1 {
			bad("%s must be at least 1 (got %d)", name, v)
		}
	}
	if c.MaxIncarnationJump < 2 {
		bad("MaxIncarnationJump must be at least 2 (got %d)", c.MaxIncarnationJump)
	}
	if c.PacketSize < MinPacketSize || c.PacketSize > 65507 {
		bad("PacketSize must be in [%d, 65507] (got %d)", MinPacketSize, c.PacketSize)
	}
	if c.MaxMetaSize < 1 || c.MaxMetaSize > wire.MaxMetaSize {
		bad("MaxMetaSize must be in [1, %d] (got %d)", wire.MaxMetaSize, c.MaxMetaSize)
	}
	if !(c.UserShare > 0 && c.UserShare < 1) {
		bad("UserShare must be in (0, 1) (got %v)", c.UserShare)
	}
	if _, err := wire.EncodeMeta(c.Meta, c.MaxMetaSize); err != nil {
		bad("Meta: %v", err)
	}
	// Map iteration above is unordered; sort for stable messages.
	sortErrs(errs)
	return errors.Join(errs...)
}

func sortErrs(errs []error) {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Error() < errs[j-1].Error(); j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}
