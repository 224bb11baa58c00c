package core

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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

// member is the compact record kept per known member.
type member struct {
	id    string
	addr  string
	meta  string // wire.EncodeMeta form
	inc   uint64
	since int64 // last state change, Unix nanoseconds (compact: N cores × N records)
	state State
}

type probe struct {
	target        string
	addr          string
	seq           uint32
	timeoutAt     time.Time
	endAt         time.Time
	indirect      bool
	expectedNacks int
	nacks         int
}

type relay struct {
	seq       uint32 // our ping to the target
	origSeq   uint32 // the requester's sequence number
	requester string
	deadline  time.Time
}

type confirm struct {
	target   string
	inc      uint64
	seq      uint32
	deadline time.Time
}

type suspicion struct {
	id       string
	inc      uint64
	start    time.Time
	min, max time.Duration
	k        int
	from     []string
	deadline time.Time
	// lastSeq is the sequence number of the last-chance ping in flight
	// (0 if none); checks counts last-chance pings sent.
	lastSeq uint32
	checks  int
}

type tombstone struct {
	id    string
	since time.Time
}

type userSeen struct {
	max    uint64
	window uint64 // bit i set: seq max-1-i seen
}

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
	self member

	members  []member
	index    map[string]int32
	live     int // alive or suspect, self excluded
	suspects int

	started   bool
	leaving   bool
	joined    bool
	seq       uint32
	awareness int

	// probing
	rrStart, rrStep, rrK, rrN int
	nextProbe                 time.Time
	probe                     *probe
	relays                    []relay
	confirms                  []confirm
	suspicions                []*suspicion

	nextGossip    time.Time
	nextPushPull  time.Time
	catchUp       int
	nextCatchUp   time.Time
	tombstones    []tombstone // left members, oldest first
	graves        []tombstone // failed members, oldest first
	nextReconnect time.Time

	updates *queue
	user    *queue
	userSeq uint64
	seen    map[string]*userSeen
	flaps   map[string]*flap

	pass   uint64 // packets built, to stamp queue items
	out    []Outbound
	events []Event
	stats  Stats
}

// New returns a Core for cfg, after filling defaults and validating. The
// member starts alone, alive at cfg.Incarnation.
func New(cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	meta, _ := wire.EncodeMeta(cfg.Meta, cfg.MaxMetaSize) // validated above
	cfg.Meta = nil
	c := &Core{
		cfg:     cfg,
		rng:     rand.New(cfg.Rand),
		dec:     wire.Decoder{Intern: cfg.Intern},
		self:    member{id: cfg.ID, addr: cfg.Addr, meta: meta, inc: cfg.Incarnation, state: StateAlive},
		index:   make(map[string]int32, cfg.SizeHint),
		members: make([]member, 0, cfg.SizeHint),
		updates: newQueue(),
		user:    newQueue(),
		seen:    map[string]*userSeen{},
		flaps:   map[string]*flap{},
	}
	return c, nil
}

// Config returns the core's configuration with defaults filled in.
func (c *Core) Config() Config { return c.cfg }

// ID returns the local member's id.
func (c *Core) ID() string { return c.self.id }

func (c *Core) start(now time.Time) {
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

// ---- inputs -------------------------------------------------------------

// Tick advances the core to now: it starts due probes, gossip rounds and
// full-state exchanges, and expires timers. Calling it before NextDeadline
// is harmless.
func (c *Core) Tick(now time.Time) {
	c.start(now)
	c.expireRelays(now)
	c.expireConfirms(now)
	c.expireProbe(now)
	c.expireSuspicions(now)
	c.reap(now)
	if !c.leaving && !now.Before(c.nextProbe) {
		c.startProbe(now)
	}
	if !now.Before(c.nextGossip) && (c.updates.len() > 0 || c.user.len() > 0) {
		c.gossip(now)
		c.nextGossip = now.Add(c.cfg.GossipInterval)
	}
	if !c.leaving && c.cfg.PushPullInterval > 0 && !now.Before(c.nextPushPull) {
		c.pushPullRandom(now)
		iv := c.pushPullInterval()
		c.nextPushPull = now.Add(iv/2 + c.jitter(iv))
	}
	if !c.leaving && c.cfg.ReconnectInterval > 0 && len(c.graves) > 0 && !now.Before(c.nextReconnect) {
		c.reconnect(now)
	}
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
	}
	if p := c.probe; p != nil {
		if !p.indirect {
			take(p.timeoutAt)
		}
		take(p.endAt)
	}
	if c.updates.len() > 0 || c.user.len() > 0 {
		take(c.nextGossip)
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
	if len(c.tombstones) > 0 {
		take(c.tombstones[0].since.Add(c.cfg.TombstoneTimeout))
	}
	if len(c.graves) > 0 {
		take(c.graves[0].since.Add(c.cfg.ReconnectTimeout))
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
func (c *Core) HandleMessage(now time.Time, from string, data []byte) error {
	msgs, err := c.dec.DecodePacket(data)
	if err != nil {
		c.stats.Malformed++
		return err
	}
	c.start(now)
	c.stats.PacketsIn++
	c.stats.BytesIn += uint64(len(data))
	for _, m := range msgs {
		c.handle(now, from, m)
	}
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
		c.handlePushPull(now, m)
	case *wire.User:
		c.handleUser(now, m)
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
		c.sendPacket(c.members[i].addr, d)
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

// Broadcast queues an application payload for dissemination to every
// member (de-duplicated, retransmitted like membership updates). The local
// member does not receive its own broadcast. The payload is copied.
func (c *Core) Broadcast(now time.Time, payload []byte) error {
	c.start(now)
	if c.leaving {
		return ErrLeft
	}
	if len(payload) > wire.MaxPayloadSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooLarge, len(payload), wire.MaxPayloadSize)
	}
	c.userSeq++
	u := &wire.User{Origin: c.self.id, Seq: c.userSeq, Payload: slices.Clone(payload)}
	c.queueUser(u)
	return nil
}

// ---- outputs -------------------------------------------------------------

// Ready returns and clears the messages and events accumulated so far. The
// caller owns the returned slices.
func (c *Core) Ready() Ready {
	r := Ready{Messages: c.out, Events: c.events}
	c.out, c.events = nil, nil
	return r
}

// HasReady reports whether Ready would return anything.
func (c *Core) HasReady() bool { return len(c.out) > 0 || len(c.events) > 0 }

// Stats returns a snapshot of the core's counters.
func (c *Core) Stats() Stats {
	s := c.stats
	s.Awareness = c.awareness
	s.Members = len(c.members)
	s.LiveMembers = c.live
	s.QueuedUpdates = c.updates.len()
	s.QueuedUser = c.user.len()
	return s
}

// LocalNode returns the local member's view.
func (c *Core) LocalNode() NodeView { return c.view(&c.self) }

// Members returns every member this core knows, including itself and
// dead or left members not yet reaped, sorted by ID.
func (c *Core) Members() []NodeView {
	out := make([]NodeView, 0, len(c.members)+1)
	out = append(out, c.view(&c.self))
	for i := range c.members {
		out = append(out, c.view(&c.members[i]))
	}
	slices.SortFunc(out, func(a, b NodeView) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Member returns the view of the member with the given id.
func (c *Core) Member(id string) (NodeView, bool) {
	if id == c.self.id {
		return c.view(&c.self), true
	}
	i, ok := c.index[id]
	if !ok {
		return NodeView{}, false
	}
	return c.view(&c.members[i]), true
}

// NumLive returns the number of alive or suspect members, self included
// (unless it has left).
func (c *Core) NumLive() int {
	if c.leaving {
		return c.live
	}
	return c.live + 1
}

// Counts returns the number of other members this core holds as alive and
// as suspect.
func (c *Core) Counts() (alive, suspect int) { return c.live - c.suspects, c.suspects }

// StateOf returns the state of member id as seen here, without building a
// view. ok is false for unknown members.
func (c *Core) StateOf(id string) (s State, ok bool) {
	if id == c.self.id {
		return c.self.state, true
	}
	i, ok := c.index[id]
	if !ok {
		return 0, false
	}
	return c.members[i].state, true
}

func (c *Core) view(m *member) NodeView {
	meta := map[string]string{}
	if m.meta != "" {
		if d, err := wire.DecodeMeta(m.meta); err == nil { // stored metadata was validated
			meta = d
		}
	}
	return NodeView{ID: m.id, Addr: m.addr, State: m.state, Incarnation: m.inc, Meta: meta}
}

func ptr[T any](v T) *T { return &v }

func (c *Core) emit(now time.Time, t EventType, m *member) {
	c.events = append(c.events, Event{Type: t, Time: now, Member: c.view(m)})
}

// ---- sending -------------------------------------------------------------

func (c *Core) selfAlive() *wire.Alive {
	return &wire.Alive{Incarnation: c.self.inc, ID: c.self.id, Addr: c.self.addr, Meta: c.self.meta}
}

func (c *Core) retransmitLimit() int {
	return c.cfg.RetransmitMult * int(math.Ceil(math.Log10(float64(c.NumLive()+1))))
}

func (c *Core) queueUpdate(key string, m wire.Message) {
	c.updates.push(key, wire.AppendMessage(nil, m))
	for c.updates.len() > c.cfg.MaxUpdateQueue && c.updates.dropOldest() {
		c.stats.UpdatesDropped++
	}
}

func (c *Core) queueUser(u *wire.User) {
	for c.user.len() >= c.cfg.MaxUserQueue && c.user.dropOldest() {
		c.stats.UserDropped++
	}
	c.user.push("", wire.AppendMessage(nil, u))
}

// packet builds a packet from first (the messages this packet exists for)
// and fills the rest of the budget with queued broadcasts. to, when not
// empty, receives oversized broadcasts over a stream.
func (c *Core) packet(to string, piggyback bool, first ...wire.Message) []byte {
	b := wire.AppendHeader(make([]byte, 0, c.cfg.PacketSize))
	for _, m := range first {
		b = wire.AppendMessage(b, m)
	}
	if !piggyback {
		return b
	}
	free := c.cfg.PacketSize - len(b)
	if free <= 2 {
		return b
	}
	limit := c.retransmitLimit()
	maxItem := c.cfg.PacketSize - wire.HeaderSize
	var big func([]byte)
	if to != "" {
		big = func(d []byte) {
			c.emitOut(to, append(wire.AppendHeader(make([]byte, 0, len(d)+1)), d...), true)
		}
	}
	userRes := int(float64(free) * c.cfg.UserShare)
	var u1, u2 int
	c.pass++
	b, u1 = c.updates.fill(b, c.pass, free-userRes, limit, maxItem, big)
	b, u2 = c.user.fill(b, c.pass, free-u1, limit, maxItem, big)
	b, _ = c.updates.fill(b, c.pass, free-u1-u2, limit, maxItem, big)
	return b
}

func (c *Core) emitOut(to string, data []byte, reliable bool) {
	c.stats.PacketsOut++
	c.stats.BytesOut += uint64(len(data))
	c.out = append(c.out, Outbound{To: to, Data: data, Reliable: reliable})
}

// sendPacket sends messages with piggybacked broadcasts.
func (c *Core) sendPacket(to string, first ...wire.Message) {
	c.emitOut(to, c.packet("", true, first...), false)
}

func (c *Core) sendReliable(to string, m wire.Message) {
	c.emitOut(to, wire.Encode(m), true)
}

func (c *Core) sendPushPull(to string, join, reply bool) {
	pp := &wire.PushPull{Join: join, Reply: reply, From: c.self.id}
	pp.Members = make([]wire.MemberState, 0, len(c.members)+1)
	pp.Members = append(pp.Members, c.state(&c.self))
	for i := range c.members {
		pp.Members = append(pp.Members, c.state(&c.members[i]))
	}
	c.stats.PushPulls++
	c.sendReliable(to, pp)
}

func (c *Core) state(m *member) wire.MemberState {
	return wire.MemberState{ID: m.id, Addr: m.addr, State: m.state, Incarnation: m.inc, Meta: m.meta}
}

// record returns the message that announces m's current state.
func (c *Core) record(m *member) wire.Message {
	switch m.state {
	case StateAlive:
		return &wire.Alive{Incarnation: m.inc, ID: m.id, Addr: m.addr, Meta: m.meta}
	case StateSuspect:
		return &wire.Suspect{Incarnation: m.inc, ID: m.id, From: c.self.id}
	case StateLeft:
		return &wire.Dead{Incarnation: m.inc, ID: m.id, From: m.id}
	default:
		return &wire.Dead{Incarnation: m.inc, ID: m.id, From: c.self.id}
	}
}

// ---- membership table ----------------------------------------------------

func (c *Core) lookup(id string) *member {
	if i, ok := c.index[id]; ok {
		return &c.members[i]
	}
	return nil
}

func (c *Core) add(m member) *member {
	// Insert at a random position so that probing order stays random.
	c.members = append(c.members, m)
	i := len(c.members) - 1
	if i > 0 {
		j := c.rng.IntN(i + 1)
		c.members[i], c.members[j] = c.members[j], c.members[i]
		c.index[c.members[i].id] = int32(i)
		i = j
	}
	c.index[m.id] = int32(i)
	return &c.members[i]
}

func (c *Core) removeAt(i int) {
	id := c.members[i].id
	last := len(c.members) - 1
	if i != last {
		c.members[i] = c.members[last]
		c.index[c.members[i].id] = int32(i)
	}
	c.members[last] = member{}
	c.members = c.members[:last]
	delete(c.index, id)
	delete(c.seen, id)
	delete(c.flaps, id)
}

func (c *Core) setState(now time.Time, m *member, s State) {
	wasLive := m.state <= StateSuspect
	isLive := s <= StateSuspect
	if m.state == StateSuspect {
		c.suspects--
	}
	if s == StateSuspect {
		c.suspects++
	}
	m.state = s
	m.since = now.UnixNano()
	switch {
	case wasLive && !isLive:
		c.live--
		if s == StateLeft {
			c.tombstones = append(c.tombstones, tombstone{id: m.id, since: now})
		} else {
			c.graves = append(c.graves, tombstone{id: m.id, since: now})
		}
	case !wasLive && isLive:
		c.live++
	}
}

// randomMembers picks up to n distinct member indices satisfying ok.
func (c *Core) randomMembers(n int, ok func(*member) bool) []int {
	if n <= 0 || len(c.members) == 0 {
		return nil
	}
	picked := make([]int, 0, n)
	has := func(i int) bool { return slices.Contains(picked, i) }
	for tries := 0; tries < 4*n && len(picked) < n; tries++ {
		i := c.rng.IntN(len(c.members))
		if !has(i) && ok(&c.members[i]) {
			picked = append(picked, i)
		}
	}
	if len(picked) < n && len(c.members) <= 64*n {
		// Small or sparse: fall back to a scan from a random offset.
		off := c.rng.IntN(len(c.members))
		for k := 0; k < len(c.members) && len(picked) < n; k++ {
			i := (off + k) % len(c.members)
			if !has(i) && ok(&c.members[i]) {
				picked = append(picked, i)
			}
		}
	}
	return picked
}

// ---- probing -------------------------------------------------------------

func (c *Core) scaled(d time.Duration) time.Duration {
	return d * time.Duration(c.awareness+1)
}

func (c *Core) nextSeq() uint32 {
	c.seq++
	return c.seq
}

// nextTarget walks a random permutation of the member table (a random
// start and a step coprime with its length), one round at a time.
func (c *Core) nextTarget() *member {
	for tries := 0; tries <= len(c.members)+1; tries++ {
		if c.rrK >= c.rrN {
			n := len(c.members)
			if n == 0 {
				return nil
			}
			c.rrN, c.rrK = n, 0
			c.rrStart = c.rng.IntN(n)
			c.rrStep = 1
			if n > 2 {
				c.rrStep = 1 + c.rng.IntN(n-1)
				for gcd(c.rrStep, n) != 1 {
					c.rrStep = c.rrStep%(n-1) + 1
				}
			}
		}
		i := (c.rrStart + c.rrK*c.rrStep) % c.rrN
		c.rrK++
		if i < len(c.members) && c.members[i].state <= StateSuspect {
			return &c.members[i]
		}
	}
	return nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (c *Core) startProbe(now time.Time) {
	if c.probe != nil { // previous probe still running (cannot normally happen)
		c.finishProbe(now)
	}
	c.nextProbe = now.Add(c.scaled(c.cfg.ProbeInterval))
	t := c.nextTarget()
	if t == nil {
		return
	}
	p := &probe{
		target:    t.id,
		addr:      t.addr,
		seq:       c.nextSeq(),
		timeoutAt: now.Add(c.scaled(c.cfg.ProbeTimeout)),
		endAt:     c.nextProbe,
	}
	c.probe = p
	c.stats.Probes++
	ping := &wire.Ping{Seq: p.seq, Source: c.self.id, Target: t.id}
	if t.state == StateSuspect {
		// Buddy system: tell the suspect first, so it can refute.
		c.sendPacket(t.addr, ping, c.record(t))
	} else {
		c.sendPacket(t.addr, ping)
	}
}

func (c *Core) expireProbe(now time.Time) {
	p := c.probe
	if p == nil {
		return
	}
	if !p.indirect && !now.Before(p.timeoutAt) {
		p.indirect = true
		target := c.lookup(p.target)
		if target == nil || target.state > StateSuspect {
			c.probe = nil
			return
		}
		idx := c.randomMembers(c.cfg.IndirectChecks, func(m *member) bool {
			return m.state == StateAlive && m.id != p.target
		})
		for _, i := range idx {
			c.stats.IndirectProbes++
			c.sendPacket(c.members[i].addr, &wire.PingReq{Seq: p.seq, Target: p.target, TargetAddr: p.addr})
		}
		p.expectedNacks = len(idx)
		if !c.cfg.DisableFallbackProbe {
			c.sendReliable(p.addr, &wire.Ping{Seq: p.seq, Source: c.self.id, Target: p.target, Reliable: true})
		}
	}
	if !now.Before(p.endAt) {
		c.finishProbe(now)
	}
}

// finishProbe ends a probe that got no ack.
func (c *Core) finishProbe(now time.Time) {
	p := c.probe
	c.probe = nil
	c.stats.ProbesFailed++
	delta := 1
	if p.expectedNacks > 0 {
		delta = max(0, p.expectedNacks-p.nacks)
	}
	c.adjustAwareness(delta)
	m := c.lookup(p.target)
	if m == nil || m.state > StateSuspect {
		return
	}
	c.suspect(now, m, m.inc, c.self.id)
}

func (c *Core) adjustAwareness(d int) {
	c.awareness = min(max(c.awareness+d, 0), c.cfg.AwarenessMaxMultiplier-1)
}

func (c *Core) handlePing(now time.Time, from string, m *wire.Ping) {
	if m.Target != "" && m.Target != c.self.id {
		c.stats.Misdirected++
		return
	}
	ack := &wire.Ack{Seq: m.Seq, Reliable: m.Reliable}
	if m.Reliable {
		to := from
		if s := c.lookup(m.Source); s != nil {
			to = s.addr
		}
		c.sendReliable(to, ack)
		return
	}
	// If we think the sender is suspect or dead, tell it first.
	if s := c.lookup(m.Source); s != nil && s.state != StateAlive && s.state != StateLeft {
		c.sendPacket(from, ack, c.record(s))
		return
	}
	c.sendPacket(from, ack)
}

func (c *Core) handleAck(now time.Time, m *wire.Ack) {
	if p := c.probe; p != nil && p.seq == m.Seq {
		c.probe = nil
		c.adjustAwareness(-1)
		return
	}
	for i := range c.relays {
		if r := c.relays[i]; r.seq == m.Seq {
			c.relays = slices.Delete(c.relays, i, i+1)
			c.sendPacket(r.requester, &wire.Ack{Seq: r.origSeq})
			return
		}
	}
	for i := range c.confirms {
		if c.confirms[i].seq == m.Seq {
			c.confirms = slices.Delete(c.confirms, i, i+1)
			return
		}
	}
	for _, s := range c.suspicions {
		if s.lastSeq != 0 && s.lastSeq == m.Seq {
			// The suspect answered: it is reachable from here. Ask for its
			// state (which carries its refutation) and wait a while longer.
			s.lastSeq = 0
			s.deadline = now.Add(s.min)
			if t := c.lookup(s.id); t != nil {
				c.sendPushPull(t.addr, false, false)
			}
			return
		}
	}
	c.stats.UnknownAcks++
}

// maxPending bounds relays and confirmation probes held at once.
const maxPending = 64

// maxLastChance bounds the last-chance pings one suspicion may cause.
const maxLastChance = 3

func (c *Core) handlePingReq(now time.Time, from string, m *wire.PingReq) {
	if c.leaving || m.Target == c.self.id || len(c.relays) >= maxPending {
		return
	}
	r := relay{seq: c.nextSeq(), origSeq: m.Seq, requester: from,
		deadline: now.Add(c.scaled(c.cfg.ProbeTimeout) * 4 / 5)}
	c.relays = append(c.relays, r)
	c.sendPacket(m.TargetAddr, &wire.Ping{Seq: r.seq, Source: c.self.id, Target: m.Target})
}

func (c *Core) expireRelays(now time.Time) {
	c.relays = slices.DeleteFunc(c.relays, func(r relay) bool {
		if now.Before(r.deadline) {
			return false
		}
		c.sendPacket(r.requester, &wire.Nack{Seq: r.origSeq})
		return true
	})
}

func (c *Core) expireConfirms(now time.Time) {
	c.confirms = slices.DeleteFunc(c.confirms, func(p confirm) bool {
		if now.Before(p.deadline) {
			return false
		}
		if m := c.lookup(p.target); m != nil && m.state == StateSuspect && m.inc == p.inc {
			c.suspect(now, m, m.inc, c.self.id)
		}
		return true
	})
}

// ---- suspicion -------------------------------------------------------------

func (c *Core) suspicionBounds() (time.Duration, time.Duration) {
	n := float64(c.NumLive())
	mult := math.Max(1, math.Log10(math.Max(1, n)))
	min := time.Duration(float64(c.cfg.SuspicionMult) * mult * float64(c.cfg.ProbeInterval))
	return min, min * time.Duration(c.cfg.SuspicionMaxTimeoutMult)
}

func (c *Core) findSuspicion(id string) (int, *suspicion) {
	for i, s := range c.suspicions {
		if s.id == id {
			return i, s
		}
	}
	return -1, nil
}

// timeout is Lifeguard's shrinking suspicion timeout after n confirmations.
func (s *suspicion) timeout() time.Duration {
	c := len(s.from) - 1
	if c <= 0 || s.k <= 0 {
		return s.max
	}
	frac := math.Log(float64(c)+1) / math.Log(float64(s.k)+1)
	t := time.Duration(float64(s.max) - frac*float64(s.max-s.min))
	return max(t, s.min)
}

// suspect records a suspicion of m at incarnation inc by from.
func (c *Core) suspect(now time.Time, m *member, inc uint64, from string) {
	if _, s := c.findSuspicion(m.id); s != nil && m.state == StateSuspect && inc == m.inc {
		if slices.Contains(s.from, from) {
			return
		}
		s.from = append(s.from, from)
		s.deadline = s.start.Add(s.timeout())
		if len(s.from)-1 <= s.k {
			// Pass on new confirmations while they still shorten timeouts.
			c.queueUpdate(m.id, &wire.Suspect{Incarnation: inc, ID: m.id, From: from})
		}
		return
	}
	if inc < m.inc || m.state > StateSuspect {
		c.stats.Stale++
		return
	}
	wasAlive := m.state == StateAlive
	m.inc = inc
	if wasAlive {
		c.setState(now, m, StateSuspect)
	}
	c.stats.Suspicions++
	lo, hi := c.suspicionBounds()
	k := c.cfg.SuspicionConfirmations
	if c.NumLive()-2 < k {
		k = max(0, c.NumLive()-2)
	}
	s := &suspicion{id: m.id, inc: inc, start: now, min: lo, max: hi, k: k, from: []string{from}}
	if k == 0 {
		s.max = lo
	}
	s.deadline = now.Add(s.timeout())
	if i, _ := c.findSuspicion(m.id); i >= 0 {
		c.suspicions[i] = s
	} else {
		c.suspicions = append(c.suspicions, s)
	}
	msg := &wire.Suspect{Incarnation: inc, ID: m.id, From: from}
	c.queueUpdate(m.id, msg)
	if from == c.self.id {
		// Buddy system: the suspect hears it first.
		c.sendPacket(m.addr, msg)
	} else if c.shouldConfirm() {
		seq := c.nextSeq()
		c.confirms = append(c.confirms, confirm{target: m.id, inc: inc, seq: seq,
			deadline: now.Add(c.scaled(c.cfg.ProbeTimeout))})
		c.sendPacket(m.addr, &wire.Ping{Seq: seq, Source: c.self.id, Target: m.id}, msg)
	}
	if wasAlive {
		c.emit(now, EventSuspect, m)
	}
}

// shouldConfirm decides whether to probe a suspect this member heard about.
// Each member does so with probability 2(k+1)/N, so a suspicion draws about
// 2(k+1) independent checks whatever the cluster size.
func (c *Core) shouldConfirm() bool {
	if c.cfg.DisableConfirmProbe || c.leaving || len(c.confirms) >= maxPending {
		return false
	}
	p := float64(2*(c.cfg.SuspicionConfirmations+1)) / float64(c.NumLive())
	return p >= 1 || c.rng.Float64() < p
}

// flap counts the refuted suspicions of one member.
type flap struct {
	count int
	last  time.Time
}

// recordFlap notes that member id refuted a suspicion.
func (c *Core) recordFlap(now time.Time, id string) {
	f := c.flaps[id]
	if f == nil {
		f = &flap{}
		c.flaps[id] = f
	}
	if now.Sub(f.last) > c.cfg.FlapWindow {
		f.count = 0
	}
	f.count++
	f.last = now
}

// damped reports whether member id has refuted FlapThreshold suspicions
// within FlapWindow: it flaps (a member that can send but hardly receive,
// on and off), and its refutations are no longer believed.
func (c *Core) damped(now time.Time, id string) bool {
	if c.cfg.FlapThreshold < 0 {
		return false
	}
	f := c.flaps[id]
	return f != nil && f.count >= c.cfg.FlapThreshold && now.Sub(f.last) <= c.cfg.FlapWindow
}

func (c *Core) dropSuspicion(id string) {
	if i, _ := c.findSuspicion(id); i >= 0 {
		c.suspicions = slices.Delete(c.suspicions, i, i+1)
	}
}

func (c *Core) expireSuspicions(now time.Time) {
	for i := 0; i < len(c.suspicions); {
		s := c.suspicions[i]
		if now.Before(s.deadline) {
			i++
			continue
		}
		m := c.lookup(s.id)
		if m == nil || m.state != StateSuspect || m.inc != s.inc {
			c.suspicions = slices.Delete(c.suspicions, i, i+1)
			continue
		}
		if s.checks < maxLastChance && !c.leaving && !slices.Contains(s.from, c.self.id) && !c.damped(now, m.id) {
			// Last chance: this member has only heard of the suspicion.
			// Before declaring a failure on hearsay it pings the suspect
			// once itself, carrying the suspicion so it can refute.
			s.lastSeq = c.nextSeq()
			s.checks++
			s.deadline = now.Add(c.scaled(c.cfg.ProbeTimeout))
			c.sendPacket(m.addr, &wire.Ping{Seq: s.lastSeq, Source: c.self.id, Target: m.id}, c.record(m))
			i++
			continue
		}
		c.suspicions = slices.Delete(c.suspicions, i, i+1)
		c.stats.Failed++
		d := &wire.Dead{Incarnation: m.inc, ID: m.id, From: c.self.id}
		c.setState(now, m, StateDead)
		c.queueUpdate(m.id, d)
		c.emit(now, EventFailed, m)
	}
}

// ---- handling updates ------------------------------------------------------

// refute answers a suspicion or death of the local member seen at inc.
func (c *Core) refute(inc uint64) {
	if c.leaving {
		return
	}
	c.stats.Refutations++
	c.self.inc = max(c.self.inc, inc) + 1
	c.adjustAwareness(1)
	c.queueUpdate(c.self.id, c.selfAlive())
}

// handleAlive applies an announcement and, if regossip and it is news,
// queues it for gossip.
func (c *Core) handleAlive(now time.Time, a *wire.Alive, regossip bool) {
	if a.ID == c.self.id {
		switch {
		case a.Addr != c.self.addr && a.Incarnation >= c.self.inc:
			c.stats.Conflicts++
			other := member{id: a.ID, addr: a.Addr, meta: a.Meta, inc: a.Incarnation, state: StateAlive}
			c.events = append(c.events, Event{Type: EventConflict, Time: now, Member: c.view(&c.self), Other: ptr(c.view(&other))})
		case a.Incarnation > c.self.inc || (a.Incarnation == c.self.inc && a.Meta != c.self.meta):
			// An announcement of ours from a previous life.
			c.refute(a.Incarnation)
		}
		return
	}
	c.joined = true
	m := c.lookup(a.ID)
	if m == nil {
		m = c.add(member{id: a.ID, addr: a.Addr, meta: a.Meta, inc: a.Incarnation, state: StateDead})
		c.setState(now, m, StateAlive)
		if regossip {
			c.queueUpdate(a.ID, a)
		}
		c.emit(now, EventJoin, m)
		return
	}
	if a.Incarnation < m.inc {
		c.stats.Stale++
		return
	}
	if a.Incarnation == m.inc {
		if m.state == StateAlive && a.Addr != m.addr {
			c.stats.Conflicts++
			other := member{id: a.ID, addr: a.Addr, meta: a.Meta, inc: a.Incarnation, state: StateAlive}
			c.events = append(c.events, Event{Type: EventConflict, Time: now, Member: c.view(m), Other: ptr(c.view(&other))})
			return
		}
		if m.state != StateAlive || a.Meta == m.meta {
			return // duplicate, or not news: refutation needs a higher incarnation
		}
	}
	prev := m.state
	if prev != StateAlive && c.damped(now, m.id) {
		if prev == StateSuspect {
			// A flapping member's refutation is noted but does not end
			// the suspicion, which runs to its timeout.
			m.inc, m.addr, m.meta = a.Incarnation, a.Addr, a.Meta
			if _, s := c.findSuspicion(m.id); s != nil {
				s.inc = a.Incarnation
			}
		}
		// A flapping member that was declared failed stays out until
		// FlapWindow has passed since its last flap.
		c.stats.Damped++
		return
	}
	changed := a.Addr != m.addr || a.Meta != m.meta
	m.inc, m.addr, m.meta = a.Incarnation, a.Addr, a.Meta
	if prev != StateAlive {
		c.setState(now, m, StateAlive)
	}
	c.dropSuspicion(m.id)
	if regossip {
		c.queueUpdate(a.ID, a)
	}
	switch {
	case prev == StateSuspect:
		c.recordFlap(now, m.id)
		c.emit(now, EventAlive, m)
		if changed {
			c.emit(now, EventUpdate, m)
		}
	case prev > StateSuspect:
		c.emit(now, EventJoin, m)
	case changed:
		c.emit(now, EventUpdate, m)
	}
}

func (c *Core) handleSuspect(now time.Time, s *wire.Suspect) {
	if s.ID == c.self.id {
		if s.Incarnation >= c.self.inc {
			c.refute(s.Incarnation)
		}
		return
	}
	m := c.lookup(s.ID)
	if m == nil {
		return
	}
	if s.Incarnation < m.inc || m.state > StateSuspect {
		c.stats.Stale++
		return
	}
	c.suspect(now, m, s.Incarnation, s.From)
}

func (c *Core) handleDead(now time.Time, d *wire.Dead) {
	if d.ID == c.self.id {
		if !c.leaving && d.Incarnation >= c.self.inc {
			c.refute(d.Incarnation)
		}
		return
	}
	m := c.lookup(d.ID)
	if m == nil {
		return
	}
	// A flapping member's refutations are not believed, so a failure
	// declared at an incarnation it has since refuted still stands.
	if (d.Incarnation < m.inc && !(d.From != d.ID && c.damped(now, m.id))) || m.state > StateSuspect {
		c.stats.Stale++
		return
	}
	left := d.From == d.ID
	m.inc = max(m.inc, d.Incarnation)
	c.dropSuspicion(m.id)
	c.queueUpdate(m.id, d)
	if left {
		c.setState(now, m, StateLeft)
		c.emit(now, EventLeft, m)
		return
	}
	c.stats.Failed++
	c.setState(now, m, StateDead)
	c.emit(now, EventFailed, m)
}

func (c *Core) handlePushPull(now time.Time, p *wire.PushPull) {
	// The first table a member receives (the answer to its join) is what
	// the cluster already knows: it is applied but not gossiped again,
	// which would cost every joiner O(N) queue entries. Later exchanges
	// repair what gossip missed, so what they teach is passed on.
	first := !c.joined
	for i := range p.Members {
		s := &p.Members[i]
		switch s.State {
		case StateAlive:
			c.handleAlive(now, &wire.Alive{Incarnation: s.Incarnation, ID: s.ID, Addr: s.Addr, Meta: s.Meta}, !first || s.ID == p.From)
		case StateSuspect, StateDead:
			// A remote death is taken as a suspicion: this member checks
			// for itself before declaring anyone failed.
			if s.ID == c.self.id || c.lookup(s.ID) != nil {
				c.handleSuspect(now, &wire.Suspect{Incarnation: s.Incarnation, ID: s.ID, From: p.From})
			}
		case StateLeft:
			c.handleDead(now, &wire.Dead{Incarnation: s.Incarnation, ID: s.ID, From: s.ID})
		}
	}
	if p.From != "" && p.From != c.self.id {
		c.joined = true
	}
	if !p.Reply && !c.leaving {
		if m := c.lookup(p.From); m != nil {
			c.sendPushPull(m.addr, false, true)
		}
	}
}

func (c *Core) handleUser(now time.Time, u *wire.User) {
	if u.Origin == c.self.id {
		return
	}
	s := c.seen[u.Origin]
	if s == nil {
		if len(c.seen) > 4*len(c.members)+64 {
			c.stats.UserDuplicates++ // origin unknown and table full: drop
			return
		}
		s = &userSeen{}
		c.seen[u.Origin] = s
	}
	switch {
	case u.Seq > s.max:
		shift := u.Seq - s.max
		if shift >= 64 {
			s.window = 0
		} else {
			s.window = s.window<<shift | 1<<(shift-1)
		}
		if s.max == 0 {
			s.window = 0
		}
		s.max = u.Seq
	case u.Seq == s.max:
		c.stats.UserDuplicates++
		return
	default:
		d := s.max - u.Seq - 1
		if d >= 64 || s.window&(1<<d) != 0 {
			c.stats.UserDuplicates++
			return
		}
		s.window |= 1 << d
	}
	c.queueUser(u)
	c.events = append(c.events, Event{Type: EventUser, Time: now, Member: NodeView{ID: u.Origin, Meta: map[string]string{}}, Payload: u.Payload})
}

// ---- gossip, anti-entropy, reaping -------------------------------------

func (c *Core) gossip(now time.Time) {
	dead := c.cfg.GossipToTheDead
	idx := c.randomMembers(c.cfg.GossipFanout, func(m *member) bool {
		return m.state <= StateSuspect || (m.state == StateDead && now.UnixNano()-m.since < int64(dead))
	})
	for _, i := range idx {
		if c.updates.len() == 0 && c.user.len() == 0 {
			return
		}
		to := c.members[i].addr
		b := c.packet(to, true)
		if len(b) > wire.HeaderSize {
			c.emitOut(to, b, false)
		}
	}
}

func (c *Core) pushPullInterval() time.Duration {
	base := c.cfg.PushPullInterval
	n := c.NumLive()
	if n <= 32 {
		return base
	}
	mult := math.Ceil(math.Log2(float64(n))-math.Log2(32)) + 1
	return time.Duration(mult * float64(base))
}

func (c *Core) pushPullRandom(now time.Time) {
	idx := c.randomMembers(1, func(m *member) bool { return m.state == StateAlive })
	if len(idx) == 1 {
		c.sendPushPull(c.members[idx[0]].addr, false, false)
	}
}

func (c *Core) reap(now time.Time) {
	c.tombstones = c.reapList(now, c.tombstones, c.cfg.TombstoneTimeout)
	c.graves = c.reapList(now, c.graves, c.cfg.ReconnectTimeout)
}

func (c *Core) reapList(now time.Time, l []tombstone, timeout time.Duration) []tombstone {
	for len(l) > 0 {
		t := l[0]
		if now.Sub(t.since) < timeout {
			break
		}
		l = l[1:]
		if i, ok := c.index[t.id]; ok {
			m := &c.members[i]
			if m.state > StateSuspect && m.since == t.since.UnixNano() {
				c.removeAt(int(i))
			}
		}
	}
	if len(l) == 0 {
		return nil
	}
	return l
}

// reconnect exchanges full state with one random failed member, so that
// members cut apart by a partition find each other when it heals.
func (c *Core) reconnect(now time.Time) {
	c.nextReconnect = now.Add(c.cfg.ReconnectInterval/2 + c.jitter(c.cfg.ReconnectInterval))
	if len(c.graves) == 0 {
		return
	}
	// Pick among the graves so the cost does not grow with the table, and
	// leave the newly failed alone for an interval: otherwise every member
	// would send its whole table to each new failure at once.
	for tries := 0; tries < 8; tries++ {
		g := c.graves[c.rng.IntN(len(c.graves))]
		if now.Sub(g.since) < c.cfg.ReconnectInterval {
			continue
		}
		if m := c.lookup(g.id); m != nil && m.state == StateDead {
			c.sendPushPull(m.addr, false, false)
			return
		}
	}
}
