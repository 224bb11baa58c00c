package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
)

// Epoch is the virtual time at which every simulation starts.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Config describes a simulated network. Zero fields take the documented
// defaults.
type Config struct {
	// Seed drives every random choice: latencies, losses, and each core's
	// Rand. The same Seed and the same calls give the same run.
	Seed uint64
	// Core is the template for every member's configuration (a preset);
	// ID, Addr, Incarnation and Rand are set per member. Default
	// LANConfig().
	Core core.Config
	// SizeHint is the expected number of members: each core's table is
	// allocated for it up front (core.WithSizeHint). Default 0.
	SizeHint int
	// Latency is the one-way delay of every packet. Default 1ms.
	Latency time.Duration
	// Jitter adds a uniform random delay in [0, Jitter). Default 0.
	Jitter time.Duration
	// Loss is the probability that a packet is dropped, in [0, 1).
	// Streams are not dropped; each lost segment delays them by StreamRTO.
	Loss float64
	// StreamRTO is the retransmission delay a stream suffers per lost
	// segment. Default 200ms.
	StreamRTO time.Duration
	// StreamFailure is the probability, in [0, 1), that a stream fails:
	// its dial is refused or the connection is reset before the message
	// is complete. Either way the message is lost (the core learns of it
	// only by the missing answer). Default 0: streams never fail.
	StreamFailure float64
	// Trace, if set, receives one line per membership event, in order.
	Trace io.Writer
}

// Member is one simulated member.
type Member struct {
	// Index is the member's position in Sim.Members.
	Index int
	// ID is the member's id; it is also its address.
	ID string
	// Core is the member's protocol state machine. Replaced on Restart.
	Core *core.Core
	// Up is false while the member is crashed.
	Up bool

	sent, sentBytes uint64
	deadline        time.Time
	sendLoss        float64
	recvLoss        float64
	streamFailure   float64
	delay           time.Duration
	group           int
	restarts        int
	stall           stall
}

// Sent returns the packets and bytes this member has sent (including
// reliable messages), across restarts.
func (m *Member) Sent() (packets, bytes uint64) { return m.sent, m.sentBytes }

// Sim is a deterministic network of cores in virtual time. It is not safe
// for concurrent use.
type Sim struct {
	cfg        Config
	now        time.Time
	rng        *rand.Rand
	members    []*Member
	byID       map[string]int
	q          eventQueue
	seq        uint64
	intern     map[string]string
	lastIntern string      // the last string interned (see internStr)
	names      *core.Names // shared by every core: one copy of each identity
	linkLoss   map[[2]int]float64
	onEvent    []func(*Member, core.Event)
	events     uint64
	// streamsFailed counts streams lost to StreamFailure and SetStreamFault.
	streamsFailed uint64
	// traffic counts every message sent, by kind.
	traffic Traffic
}

// New returns an empty simulation at Epoch.
func New(cfg Config) (*Sim, error) {
	if cfg.Core.ProbeInterval == 0 && cfg.Core.GossipInterval == 0 {
		cfg.Core = core.LANConfig()
	}
	if cfg.Latency == 0 {
		cfg.Latency = time.Millisecond
	}
	if cfg.StreamRTO == 0 {
		cfg.StreamRTO = 200 * time.Millisecond
	}
	if cfg.Loss < 0 || cfg.Loss >= 1 {
		return nil, fmt.Errorf("sim: loss %v outside [0, 1)", cfg.Loss)
	}
	if cfg.StreamFailure < 0 || cfg.StreamFailure >= 1 {
		return nil, fmt.Errorf("sim: stream failure %v outside [0, 1)", cfg.StreamFailure)
	}
	if cfg.Latency < 0 || cfg.Jitter < 0 {
		return nil, errors.New("sim: negative latency or jitter")
	}
	return &Sim{
		cfg:      cfg,
		now:      Epoch,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x73696d)),
		byID:     map[string]int{},
		intern:   map[string]string{},
		names:    core.NewNames(),
		linkLoss: map[[2]int]float64{},
	}, nil
}

// Now returns the current virtual time.
func (s *Sim) Now() time.Time { return s.now }

// Elapsed returns the virtual time since Epoch.
func (s *Sim) Elapsed() time.Duration { return s.now.Sub(Epoch) }

// Members returns every member ever added, by index. The slice is shared.
func (s *Sim) Members() []*Member { return s.members }

// Member returns the member with the given id.
func (s *Sim) Member(id string) *Member {
	if i, ok := s.byID[id]; ok {
		return s.members[i]
	}
	return nil
}

// OnEvent registers fn to observe every membership event of every member.
func (s *Sim) OnEvent(fn func(*Member, core.Event)) { s.onEvent = append(s.onEvent, fn) }

// SetLoss changes the uniform packet loss from now on.
func (s *Sim) SetLoss(p float64) { s.cfg.Loss = p }

// SetStreamFailure changes the uniform stream failure rate from now on
// (see Config.StreamFailure).
func (s *Sim) SetStreamFailure(p float64) { s.cfg.StreamFailure = p }

// SetStreamFault sets the probability that a stream member i dials or
// accepts fails (refused or reset), on top of the uniform rate; zero
// clears it.
func (s *Sim) SetStreamFault(i int, p float64) { s.members[i].streamFailure = p }

// StreamsFailed returns the number of streams lost to stream failures.
func (s *Sim) StreamsFailed() uint64 { return s.streamsFailed }

// SetLinkLoss sets the loss of packets from member a to member b (one
// direction), overriding the uniform loss; a negative p removes it.
func (s *Sim) SetLinkLoss(a, b int, p float64) {
	if p < 0 {
		delete(s.linkLoss, [2]int{a, b})
		return
	}
	s.linkLoss[[2]int{a, b}] = p
}

// SetFault sets member i's asymmetric faults: the probability that a packet
// or stream it sends, or one sent to it, is lost, and an extra delay on
// everything it receives (a slow member). Zero values clear them.
func (s *Sim) SetFault(i int, sendLoss, recvLoss float64, delay time.Duration) {
	m := s.members[i]
	m.sendLoss, m.recvLoss, m.delay = sendLoss, recvLoss, delay
}

// Partition puts each member into the group given by group(index); packets
// and streams between different groups are dropped until Heal.
func (s *Sim) Partition(group func(i int) int) {
	for _, m := range s.members {
		m.group = group(m.Index)
	}
}

// Heal removes every partition.
func (s *Sim) Heal() {
	for _, m := range s.members {
		m.group = 0
	}
}

// internStr is the cores' decoders' Intern: one copy of each distinct
// string. The last string is checked first, since a member's address
// follows its id in every announcement and is the same string here.
func (s *Sim) internStr(b []byte) string {
	if string(b) == s.lastIntern {
		return s.lastIntern
	}
	v, ok := s.intern[string(b)]
	if !ok {
		v = string(b)
		s.intern[v] = v
	}
	s.lastIntern = v
	return v
}

func (s *Sim) newCore(m *Member, meta map[string]string) (*core.Core, error) {
	cfg := s.cfg.Core
	cfg.ID = m.ID
	cfg.Addr = m.ID
	cfg.Meta = meta
	cfg.Rand = rand.NewPCG(s.cfg.Seed^uint64(m.Index)*0x9e3779b97f4a7c15, uint64(m.restarts))
	// A restarted member starts above any incarnation it used before.
	cfg.Incarnation = uint64(s.now.Sub(Epoch)/time.Second) + 1
	return core.New(cfg, core.WithIntern(s.internStr), core.WithNames(s.names), core.WithSizeHint(s.cfg.SizeHint))
}

// Add creates a member with the given id and metadata, up but knowing no
// one. Use Join or Meet to connect it.
func (s *Sim) Add(id string, meta map[string]string) (*Member, error) {
	if _, dup := s.byID[id]; dup {
		return nil, fmt.Errorf("sim: duplicate id %q", id)
	}
	m := &Member{Index: len(s.members), ID: s.internStr([]byte(id)), Up: true}
	c, err := s.newCore(m, meta)
	if err != nil {
		return nil, err
	}
	m.Core = c
	s.members = append(s.members, m)
	s.byID[m.ID] = m.Index
	c.Tick(s.now)
	s.flush(m)
	return m, nil
}

// Join makes member i join through the given seed ids.
func (s *Sim) Join(i int, seeds ...string) error {
	m := s.members[i]
	if err := m.Core.Join(s.now, seeds); err != nil {
		return err
	}
	s.flush(m)
	return nil
}

// Do runs fn against member i's core at the current virtual time and
// delivers what it produces.
func (s *Sim) Do(i int, fn func(now time.Time, c *core.Core) error) error {
	m := s.members[i]
	if !m.Up {
		return fmt.Errorf("sim: member %s is down", m.ID)
	}
	err := fn(s.now, m.Core)
	s.flush(m)
	return err
}

// Crash stops member i without a word: it sends and receives nothing more.
func (s *Sim) Crash(i int) {
	m := s.members[i]
	m.Up = false
	m.deadline = time.Time{}
}

// Restart brings a crashed member back with a fresh core (same id, a
// higher incarnation) and joins it through seeds.
func (s *Sim) Restart(i int, seeds ...string) error {
	m := s.members[i]
	m.restarts++
	c, err := s.newCore(m, nil)
	if err != nil {
		return err
	}
	m.Core, m.Up = c, true
	c.Tick(s.now)
	if len(seeds) > 0 {
		if err := c.Join(s.now, seeds); err != nil {
			return err
		}
	}
	s.flush(m)
	return nil
}

// ---- event loop ------------------------------------------------------------

const (
	kindTick = iota
	kindPacket
)

type event struct {
	at   time.Time
	seq  uint64
	kind int
	to   int
	from string
	data []byte
	// stream is set for reliable messages, delivered as stream input.
	stream bool
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

func (s *Sim) push(e *event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

// flush delivers member m's output and schedules its next tick.
func (s *Sim) flush(m *Member) {
	rd := m.Core.Ready()
	for _, e := range rd.Events {
		s.events++
		if s.cfg.Trace != nil {
			fmt.Fprintf(s.cfg.Trace, "%9.3f %s %s\n", s.Elapsed().Seconds(), m.ID, e)
		}
		for _, fn := range s.onEvent {
			fn(m, e)
		}
	}
	for _, o := range rd.Messages {
		m.sent++
		m.sentBytes += uint64(len(o.Data))
		s.traffic.count(o.Data, o.Reliable)
		to, ok := s.byID[o.To]
		if !ok {
			continue
		}
		dst := s.members[to]
		if dst.group != m.group {
			continue
		}
		delay := s.cfg.Latency
		if s.cfg.Jitter > 0 {
			delay += time.Duration(s.rng.Int64N(int64(s.cfg.Jitter)))
		}
		delay += dst.delay
		loss := s.cfg.Loss
		if p, ok := s.linkLoss[[2]int{m.Index, to}]; ok {
			loss = p
		}
		if o.Reliable {
			// Streams arrive, later for every lost segment of the uniform
			// loss; a member's own fault refuses the whole stream.
			if loss >= 1 || s.lost(m.sendLoss) || s.lost(dst.recvLoss) {
				continue
			}
			if s.lost(s.cfg.StreamFailure) || s.lost(m.streamFailure) || s.lost(dst.streamFailure) {
				s.streamsFailed++
				continue
			}
			for loss > 0 && s.rng.Float64() < loss {
				delay += s.cfg.StreamRTO
			}
		} else if s.lost(loss) || s.lost(m.sendLoss) || s.lost(dst.recvLoss) {
			continue
		}
		s.push(&event{at: s.now.Add(delay), kind: kindPacket, to: to, from: m.ID, data: o.Data, stream: o.Reliable})
	}
	if !m.Up {
		return
	}
	d := m.Core.NextDeadline()
	if d.IsZero() {
		return
	}
	if !d.After(s.now) {
		d = s.now
	}
	if m.deadline.IsZero() || d.Before(m.deadline) || !m.deadline.After(s.now) {
		if !m.deadline.Equal(d) {
			m.deadline = d
			s.push(&event{at: d, kind: kindTick, to: m.Index})
		}
	}
}

func (s *Sim) lost(p float64) bool { return p > 0 && s.rng.Float64() < p }

// Step processes the next event. It returns false when nothing is pending.
func (s *Sim) Step() bool {
	if len(s.q) == 0 {
		return false
	}
	e := heap.Pop(&s.q).(*event)
	if e.at.After(s.now) {
		s.now = e.at
	}
	m := s.members[e.to]
	if !m.Up {
		return true
	}
	if e.kind == kindTick && !m.deadline.Equal(e.at) {
		return true // superseded
	}
	if until := s.stalledUntil(m); until.After(s.now) {
		// The member is descheduled: its timer and its input wait.
		e.at = until
		if e.kind == kindTick {
			m.deadline = until
		}
		s.push(e)
		return true
	}
	switch e.kind {
	case kindTick:
		m.deadline = time.Time{}
		m.Core.Tick(s.now)
	case kindPacket:
		// Malformed input cannot come from cores; errors are counted there.
		if e.stream {
			_ = m.Core.HandleStreamMessage(s.now, e.from, e.data)
		} else {
			_ = m.Core.HandleMessage(s.now, e.from, e.data)
		}
	}
	s.flush(m)
	return true
}

// RunFor advances virtual time by d, processing every event due.
func (s *Sim) RunFor(d time.Duration) { s.RunUntil(s.now.Add(d), nil) }

// RunUntil processes events until virtual time reaches t or cond (checked
// after every event time advances, at most every 10ms of virtual time)
// returns true. It reports whether cond returned true.
func (s *Sim) RunUntil(t time.Time, cond func() bool) bool {
	next := s.now
	for len(s.q) > 0 && !s.q[0].at.After(t) {
		if cond != nil && s.q[0].at.After(next) {
			if cond() {
				return true
			}
			next = s.q[0].at.Add(10 * time.Millisecond)
		}
		s.Step()
	}
	if t.After(s.now) {
		s.now = t
	}
	return cond != nil && cond()
}

// Events returns the number of membership events observed so far.
func (s *Sim) Events() uint64 { return s.events }

// Converged reports whether every up member sees exactly the up members as
// alive (none suspect) and nothing else as live.
func (s *Sim) Converged() bool {
	up := 0
	for _, m := range s.members {
		if m.Up {
			up++
		}
	}
	for _, m := range s.members {
		if !m.Up {
			continue
		}
		a, sus := m.Core.Counts()
		if sus != 0 || a != up-1 {
			return false
		}
	}
	for _, m := range s.members {
		if !m.Up {
			continue
		}
		for _, o := range s.members {
			if o.Up && o != m {
				if st, ok := m.Core.StateOf(o.ID); !ok || st != core.StateAlive {
					return false
				}
			}
		}
	}
	return true
}
