package core

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// Errors returned by Core methods.
var (
	// ErrLeft is returned by operations that need a member that has not left.
	ErrLeft = errors.New("core: member has left")
	// ErrMetaTooLarge is returned by SetMeta for metadata over MaxMetaSize.
	ErrMetaTooLarge = errors.New("core: metadata too large")
	// ErrPayloadTooLarge is returned by Broadcast for an oversized payload.
	ErrPayloadTooLarge = errors.New("core: broadcast payload too large")
	// ErrNoSeeds is returned by Join when given no seed address.
	ErrNoSeeds = errors.New("core: no seed addresses")
)

// Core is the SWIM membership protocol as a deterministic state machine.
//
// A Core reads no clock, does no I/O, starts no goroutines and takes no
// locks: time comes in as arguments, randomness from Config.Rand, and output
// accumulates until Ready drains it. It is not safe for concurrent use; one
// owner (the runtime Node, the simulator, a C program) calls it.
//
// The driver loop:
//
//	c, err := core.New(cfg)
//	for {
//		// wait until c.NextDeadline(), a received packet, or an API call
//		c.Tick(now)                      // or c.HandleMessage(now, from, data)
//		rd := c.Ready()
//		// send rd.Messages, publish rd.Events
//	}
type Core struct {
	cfg  Config
	rng  *rand.Rand
	dec  wire.Decoder
	self local

	members []member
	names   *Names
	// index maps a member's number in names to its position in members
	// plus one (0: not held).
	index    []int32
	live     int // alive or suspect, self excluded
	suspects int

	started   bool
	leaving   bool
	joined    bool
	seq       uint32
	awareness int
	// lateUntil is the end of the time this member counts itself late
	// (see noteLateness).
	lateUntil time.Time
	// directAcks is the moving average of direct acks to this member's
	// own probes (1: every one answered); see noteDirect.
	directAcks float64
	newBudget  int         // members the message being handled may still add
	stream     bool        // the input being handled arrived over a stream
	target     *member     // destination of the packet being built, if a member (see sendTo)
	inRound    bool        // the packet being built belongs to a gossip round (see queue.news)
	origin     EventOrigin // of the events the current call emits
	// readmitting is set while a flapping member that answered a
	// reachability check is readmitted.
	readmitting bool

	// probing
	order      probeOrder
	nextProbe  time.Time
	probe      *probe
	relays     []relay
	confirms   []confirm
	suspicions []*suspicion

	nextGossip time.Time
	// lastEarly and lastOwnEarly are when this member last ran an early
	// gossip round for news, and one for its own announcement when the
	// first kind was spent (see earlyAt).
	lastEarly, lastOwnEarly time.Time
	nextPushPull            time.Time
	catchUp                 int
	nextCatchUp             time.Time
	leftMembers             []departure // left members awaiting reaping, oldest first
	failedMembers           []departure // failed members awaiting reaping, oldest first
	nextReconnect           time.Time
	reconnects              uint64 // reconnect tries made
	reconnectSeq            uint32 // the last reconnect ping, until answered
	reconnectID             string // the failed member it went to
	// nextRepair is when to make a repair exchange after the update
	// queue overflowed (zero: none due); see noteDropped.
	nextRepair time.Time
	// lastDigestSync is when a digest that differed from this member's
	// table last made it start a full-state exchange (see handleDigest).
	lastDigestSync time.Time
	now            time.Time // of the call being handled (set by start)

	updates *queue
	user    *queue
	userSeq uint64
	seen    map[string]*userSeen
	flaps   map[string]*flap
	// told counts the direct refutations sent to each accuser at
	// incarnation toldInc (see tellAccuser).
	told    map[string]uint8
	toldInc uint64
	dials   map[string]*dialState // stream ping back-off per member (see mayDial)

	pass   uint64 // packets built, to stamp queue items
	out    []Outbound
	events []Event
	stats  Stats
}

// New returns a Core for cfg, after filling defaults and validating. The
// member starts alone, alive at cfg.Incarnation. Options tune memory use
// only (see Option).
func New(cfg Config, opts ...Option) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cfg.fill()
	meta, _ := wire.EncodeMeta(cfg.Meta, cfg.MaxMetaSize) // validated above
	cfg.Meta = nil
	c := &Core{
		cfg:     cfg,
		rng:     rand.New(cfg.Rand),
		dec:     wire.Decoder{Intern: o.intern},
		self:    local{ident: ident{id: cfg.ID, addr: cfg.Addr, meta: meta, num: -1}, inc: cfg.Incarnation, state: StateAlive},
		names:   o.names,
		index:   make([]int32, 0, min(o.sizeHint, cfg.MaxMembers)),
		members: make([]member, 0, min(o.sizeHint, cfg.MaxMembers)),
		updates: newQueue(),
		user:    newQueue(),
		seen:    map[string]*userSeen{},
		flaps:   map[string]*flap{},
		told:    map[string]uint8{},
		dials:   map[string]*dialState{},
		// A restart is a new broadcast epoch: see userEpoch.
		userSeq:    userEpoch(cfg.Incarnation),
		directAcks: 1,
	}
	if c.names == nil {
		c.names = newPrivateNames(min(o.sizeHint, cfg.MaxMembers))
	}
	return c, nil
}

// Config returns the core's configuration with defaults filled in.
func (c *Core) Config() Config { return c.cfg }

// ID returns the local member's id.
func (c *Core) ID() string { return c.self.id }

func (c *Core) start(now time.Time) {
	c.now = now
	if c.started {
		return
	}
	c.started = true
	c.self.since = now.UnixNano()
	c.nextProbe = now.Add(c.jitter(c.cfg.ProbeInterval))
	c.nextGossip = now.Add(c.jitter(c.cfg.GossipInterval))
	c.nextReconnect = now.Add(c.cfg.ReconnectInterval)
	if c.cfg.PushPullInterval > 0 {
		c.nextPushPull = now.Add(c.pushPullInterval() + c.jitter(c.pushPullInterval()))
	}
}

// jitter returns a uniform random duration in [0, d).
func (c *Core) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(c.rng.Int64N(int64(d)))
}

// Tick advances the core to now: it starts due probes, gossip rounds and
// full-state exchanges, and expires timers. Calling it before NextDeadline
// is harmless.
func (c *Core) Tick(now time.Time) {
	if c.started {
		c.noteLateness(now, c.probeDue())
	}
	c.start(now)
	c.expireRelays(now)
	c.expireConfirms(now)
	c.expireProbe(now)
	c.expireSuspicions(now)
	c.reap(now)
	if !c.leaving && !now.Before(c.nextProbe) {
		c.startProbe(now)
	}
	switch {
	case !now.Before(c.nextGossip) && (c.updates.len() > 0 || c.user.len() > 0):
		c.gossip(now)
		c.nextGossip = now.Add(c.cfg.GossipInterval)
	case c.news() && !now.Before(c.earlyAt(c.lastEarly)):
		c.gossip(now)
		c.lastEarly = now
		c.stats.EarlyRounds++
	case c.ownNews() && !now.Before(c.earlyAt(c.lastOwnEarly)):
		c.gossip(now)
		c.lastOwnEarly = now
		c.stats.EarlyRounds++
	}
	if !c.leaving && c.cfg.PushPullInterval > 0 && !now.Before(c.nextPushPull) {
		c.digestRandom()
		iv := c.pushPullInterval()
		c.nextPushPull = now.Add(iv/2 + c.jitter(iv))
	}
	if !c.leaving && c.cfg.ReconnectInterval > 0 && len(c.failedMembers) > 0 && !now.Before(c.nextReconnect) {
		c.reconnect(now)
	}
	c.repair(now)
	if !c.leaving && c.catchUp > 0 && !now.Before(c.nextCatchUp) {
		c.pushPullRandom(now)
		c.catchUp--
		step := c.cfg.CatchUpSyncs - c.catchUp // 1, 2, 3...
		c.nextCatchUp = now.Add(time.Duration(2<<step) * c.cfg.GossipInterval)
	}
}

// NextDeadline returns the earliest time at which Tick has work to do.
// It is never zero once the core has been ticked or handed a message.
func (c *Core) NextDeadline() time.Time {
	var d time.Time
	take := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if !c.started {
		return d
	}
	if !c.leaving {
		take(c.nextProbe)
		if c.cfg.PushPullInterval > 0 {
			take(c.nextPushPull)
		}
		if c.catchUp > 0 {
			take(c.nextCatchUp)
		}
		take(c.nextRepair)
	}
	if p := c.probe; p != nil {
		if !p.indirect {
			take(p.timeoutAt)
		}
		take(p.streamAt)
		take(p.endAt)
	}
	if c.updates.len() > 0 || c.user.len() > 0 {
		take(c.nextGossip)
	}
	if c.news() {
		take(c.earlyAt(c.lastEarly))
	}
	if c.ownNews() {
		take(c.earlyAt(c.lastOwnEarly))
	}
	for i := range c.relays {
		take(c.relays[i].deadline)
	}
	for i := range c.confirms {
		take(c.confirms[i].deadline)
	}
	for _, s := range c.suspicions {
		take(s.deadline)
	}
	if len(c.leftMembers) > 0 {
		take(c.leftMembers[0].since.Add(c.cfg.TombstoneTimeout))
	}
	if len(c.failedMembers) > 0 {
		take(c.failedMembers[0].since.Add(c.cfg.ReconnectTimeout))
		if !c.leaving && c.cfg.ReconnectInterval > 0 {
			take(c.nextReconnect)
		}
	}
	return d
}

// HandleMessage processes one packet received from address from (the
// transport's source address; replies to packets go there). A packet that
// fails to decode is dropped whole, counted in Stats().Malformed, and the
// decode error is returned; the core's state is unchanged.
//
// Input that arrived over a stream must go to HandleStreamMessage instead:
// a packet's source address can be forged, so a reliable ping that arrives
// as a packet is never answered over a stream.
func (c *Core) HandleMessage(now time.Time, from string, data []byte) error {
	return c.input(now, from, data, false)
}

// HandleStreamMessage processes one message that arrived over a stream
// (a connection the transport accepted) from address from. It is
// HandleMessage for stream input: the same decoding, bounds and errors,
// and in addition a reliable ping that arrived this way is answered with a
// reliable (stream) ack. Like every Core method it does no I/O and must be
// called by the core's owner.
func (c *Core) HandleStreamMessage(now time.Time, from string, data []byte) error {
	return c.input(now, from, data, true)
}

func (c *Core) input(now time.Time, from string, data []byte, stream bool) error {
	msgs, err := c.dec.DecodePacket(data)
	if err != nil {
		c.stats.Malformed++
		return err
	}
	c.start(now)
	c.stats.PacketsIn++
	c.stats.BytesIn += uint64(len(data))
	c.newBudget = c.cfg.MaxNewPerPacket
	c.stream = stream
	c.origin = OriginGossip
	for _, m := range msgs {
		c.handle(now, from, m)
	}
	c.stream = false
	c.origin = OriginLocal
	return nil
}

func (c *Core) handle(now time.Time, from string, m wire.Message) {
	switch m := m.(type) {
	case *wire.Ping:
		c.handlePing(now, from, m)
	case *wire.Ack:
		c.handleAck(now, m)
	case *wire.Nack:
		if c.probe != nil && c.probe.seq == m.Seq {
			c.probe.nacks++
		} else {
			c.stats.UnknownAcks++
		}
	case *wire.PingReq:
		c.handlePingReq(now, from, m)
	case *wire.Alive:
		c.handleAlive(now, m, true)
	case *wire.Suspect:
		c.handleSuspect(now, m)
	case *wire.Dead:
		c.handleDead(now, m)
	case *wire.PushPull:
		// A full-state exchange has a budget of its own.
		saved := c.newBudget
		c.newBudget = c.cfg.MaxNewPerPushPull
		c.handlePushPull(now, m)
		c.newBudget = saved
	case *wire.User:
		c.handleUser(now, m)
	case *wire.Digest:
		c.handleDigest(now, m)
	}
}

// Meet adds a member known by other means (configuration, a discovery
// service) as alive, and sends it this member's own announcement so it
// learns of us too. A view with an unknown ID or the local ID is ignored.
func (c *Core) Meet(now time.Time, v NodeView) error {
	c.start(now)
	if c.leaving {
		return ErrLeft
	}
	meta, err := wire.EncodeMeta(v.Meta, c.cfg.MaxMetaSize)
	if err != nil {
		return fmt.Errorf("core: meet %s: %w", v.ID, err)
	}
	a := &wire.Alive{Incarnation: v.Incarnation, ID: v.ID, Addr: v.Addr, Meta: meta}
	if err := wire.Validate(a); err != nil || v.ID == "" || v.Addr == "" {
		return fmt.Errorf("core: meet: invalid view %v: %w", v, errors.Join(err, wire.ErrMalformed))
	}
	if v.ID == c.self.id {
		return nil
	}
	c.newBudget = 1
	c.handleAlive(now, a, true)
	c.sendPacket(v.Addr, c.selfAlive())
	return nil
}

// Join starts joining a cluster through the given seed addresses: it sends
// each a full-state exchange over a stream. Joined reports when an answer
// has been merged.
func (c *Core) Join(now time.Time, seeds []string) error {
	c.start(now)
	if c.leaving {
		return ErrLeft
	}
	if len(seeds) == 0 {
		return ErrNoSeeds
	}
	for _, s := range seeds {
		if s == c.self.addr {
			continue
		}
		c.sendPushPull(s, true, false)
	}
	if c.cfg.CatchUpSyncs > 0 {
		c.catchUp = c.cfg.CatchUpSyncs
		c.nextCatchUp = now.Add(2 * c.cfg.GossipInterval)
	}
	return nil
}

// Joined reports whether this member has merged state from another member
// since it started (through Join, Meet or any announcement).
func (c *Core) Joined() bool { return c.joined }

// Leave announces a graceful departure: the member marks itself left,
// sends the announcement directly to several members and queues it for
// gossip. Afterwards the core stops probing but keeps gossiping until its
// owner stops calling it.
func (c *Core) Leave(now time.Time) error {
	c.start(now)
	if c.leaving {
		return nil
	}
	c.leaving = true
	c.self.state = StateLeft
	c.self.since = now.UnixNano()
	d := &wire.Dead{Incarnation: c.self.inc, ID: c.self.id, From: c.self.id}
	c.queueUpdate(c.self.id, d)
	c.probe = nil
	for _, i := range c.randomMembers(2*c.cfg.GossipFanout, func(m *member) bool { return m.state <= StateSuspect }) {
		c.sendPacket(c.who(&c.members[i]).addr, d)
	}
	c.nextGossip = now
	return nil
}

// SetMeta replaces the local member's metadata and announces it with a new
// incarnation.
func (c *Core) SetMeta(now time.Time, meta map[string]string) error {
	c.start(now)
	if c.leaving {
		return ErrLeft
	}
	enc, err := wire.EncodeMeta(meta, c.cfg.MaxMetaSize)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMetaTooLarge, err)
	}
	if enc == c.self.meta {
		return nil
	}
	c.self.meta = enc
	c.self.inc++
	c.queueUpdate(c.self.id, c.selfAlive())
	return nil
}
