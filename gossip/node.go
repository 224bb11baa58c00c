package gossip

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// Errors returned by Node methods.
var (
	// ErrNotRunning is returned by calls that need a started, not yet shut
	// down Node.
	ErrNotRunning = errors.New("gossip: node not running")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("gossip: node already started")
	// ErrJoin wraps the reasons a Join reached no seed.
	ErrJoin = errors.New("gossip: join failed")
	// ErrFrameTooLarge reports a stream frame over the size limit.
	ErrFrameTooLarge = frame.ErrTooLarge
)

// MaxStreamFrame is the largest frame a Node reads from a stream, in bytes.
const MaxStreamFrame = frame.MaxSize

// inboundQueue is the capacity of the queue between the transport's
// receive goroutines and the protocol loop, in packets. A packet that finds
// it full is dropped and counted (NodeStats.DroppedPackets).
const inboundQueue = 512

type options struct {
	log       *slog.Logger
	codec     Codec
	onError   func(error)
	streamIO  time.Duration
	senders   int
	sendQueue int
}

// Option configures a Node.
type Option func(*options)

// WithLogger sets the logger. Default slog.Default(), with
// component=gossip and node_id attached.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithCodec sets the codec every packet and stream is encoded with.
// Default BinaryCodec. All members of a cluster must use the same codec.
func WithCodec(c Codec) Option { return func(o *options) { o.codec = c } }

// WithErrorHandler receives background errors (failed sends, undecodable
// input). Default: log at Debug for per-message errors.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// WithStreamTimeout bounds dialing, writing and reading one stream frame.
// Default 10s.
func WithStreamTimeout(d time.Duration) Option { return func(o *options) { o.streamIO = d } }

// Node runs a gossip member: one goroutine drives a core.Core with the real
// clock over a Transport. All methods are safe for concurrent use.
//
// Lifecycle: New (no goroutines, no sockets), Start, then Join, and finally
// Leave and Shutdown. Events reach subscribers without ever blocking the
// protocol: a subscriber whose buffer is full loses the event, and the loss
// is counted in its Dropped method.
type Node struct {
	cfg  Config
	tr   Transport
	opts options
	log  *slog.Logger

	mu       sync.Mutex // guards the fields below and core after the loop ends
	core     *core.Core
	state    int // 0 new, 1 running, 2 stopped
	subs     []*Subscription
	joined   chan struct{}
	isJoined bool

	reqs    chan func(*core.Core)
	packets chan Packet // datagrams from the transport
	inbound chan Packet // frames read from streams
	stop    chan struct{}
	loopEnd chan struct{}
	sendQ   chan core.Outbound
	wg      sync.WaitGroup
	ctx     context.Context // cancelled by Shutdown; bounds stream I/O
	cancel  context.CancelFunc

	droppedPackets atomic.Uint64
	sendErrors     atomic.Uint64
	streamErrors   atomic.Uint64
	decodeErrors   atomic.Uint64
}

// New validates cfg and returns a Node that will run over tr. It opens no
// socket and starts no goroutine; call Start.
func New(cfg Config, tr Transport, opts ...Option) (*Node, error) {
	if tr == nil {
		return nil, fmt.Errorf("%w: nil transport", core.ErrConfig)
	}
	probe := cfg
	if probe.Addr == "" {
		probe.Addr = "pending:0"
	}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	o := options{codec: BinaryCodec{}, streamIO: 10 * time.Second, senders: 2, sendQueue: 128}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.codec == nil {
		o.codec = BinaryCodec{}
	}
	if o.streamIO <= 0 {
		return nil, fmt.Errorf("%w: stream timeout must be positive", core.ErrConfig)
	}
	n := &Node{
		cfg:     cfg,
		tr:      tr,
		opts:    o,
		log:     o.log.With("component", "gossip", "node_id", cfg.ID),
		joined:  make(chan struct{}),
		reqs:    make(chan func(*core.Core)),
		packets: make(chan Packet, inboundQueue),
		inbound: make(chan Packet, 32),
		stop:    make(chan struct{}),
		loopEnd: make(chan struct{}),
		sendQ:   make(chan core.Outbound, o.sendQueue),
	}
	if n.opts.onError == nil {
		n.opts.onError = func(err error) { n.log.Debug("background error", "err", err) }
	}
	return n, nil
}

// Start starts the transport and the protocol. The member is alone until
// Join (or until another member contacts it).
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != 0 {
		return ErrStarted
	}
	if err := n.tr.Start(ctx, nodeHandler{n}); err != nil {
		return fmt.Errorf("gossip: start transport: %w", err)
	}
	cfg := n.cfg
	if cfg.Addr == "" {
		cfg.Addr = n.tr.Addr()
	}
	if ps := n.tr.PacketSize(); ps > 0 && (cfg.PacketSize == 0 || cfg.PacketSize > ps) {
		cfg.PacketSize = max(ps, core.MinPacketSize)
	}
	if cfg.Incarnation == 0 {
		// A restart outranks every record of the previous run.
		cfg.Incarnation = uint64(time.Now().Unix())
	}
	if cfg.Rand == nil {
		var seed [16]byte
		_, _ = crand.Read(seed[:])
		cfg.Rand = rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))
	}
	c, err := core.New(cfg)
	if err != nil {
		_ = n.tr.Close()
		return err
	}
	n.core = c
	n.cfg = c.Config()
	n.state = 1
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Add(1 + n.opts.senders)
	go n.loop()
	for range n.opts.senders {
		go n.streamSender()
	}
	n.log.Info("node started", "addr", cfg.Addr, "incarnation", cfg.Incarnation)
	return nil
}

// do runs fn on the core from the loop goroutine (or directly once the loop
// has ended) and waits for it.
func (n *Node) do(fn func(*core.Core)) error {
	n.mu.Lock()
	st := n.state
	n.mu.Unlock()
	if st == 0 {
		return ErrNotRunning
	}
	done := make(chan struct{})
	select {
	case n.reqs <- func(c *core.Core) { fn(c); close(done) }:
		<-done
		return nil
	case <-n.loopEnd:
		n.mu.Lock()
		defer n.mu.Unlock()
		fn(n.core)
		return nil
	}
}

// running is like do but fails once the node has stopped.
func (n *Node) running(fn func(*core.Core) error) error {
	var err error
	done := make(chan struct{})
	n.mu.Lock()
	st := n.state
	n.mu.Unlock()
	if st != 1 {
		return ErrNotRunning
	}
	select {
	case n.reqs <- func(c *core.Core) { err = fn(c); close(done) }:
		<-done
		return err
	case <-n.loopEnd:
		return ErrNotRunning
	}
}

func (n *Node) loop() {
	defer n.wg.Done()
	defer close(n.loopEnd)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	c := n.core
	c.Tick(time.Now())
	for {
		n.flush(c)
		if d := c.NextDeadline(); !d.IsZero() {
			timer.Reset(time.Until(d))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-n.stop:
			return
		case fn := <-n.reqs:
			fn(c)
		case p := <-n.packets:
			n.handle(c, p)
		case p := <-n.inbound:
			n.handle(c, p)
		case <-timer.C:
			c.Tick(time.Now())
		}
	}
}

func (n *Node) handle(c *core.Core, p Packet) {
	data := p.Data
	if _, bin := n.opts.codec.(BinaryCodec); !bin {
		msgs, err := n.opts.codec.Decode(data)
		if err != nil {
			n.decodeErrors.Add(1)
			n.opts.onError(fmt.Errorf("gossip: decode from %s: %w", p.From, err))
			return
		}
		data = wire.Encode(msgs...)
	}
	if err := c.HandleMessage(time.Now(), p.From, data); err != nil {
		n.decodeErrors.Add(1)
		n.opts.onError(fmt.Errorf("gossip: packet from %s: %w", p.From, err))
	}
}

// encode applies the codec to a core packet.
func (n *Node) encode(data []byte) ([]byte, error) {
	if _, bin := n.opts.codec.(BinaryCodec); bin {
		return data, nil
	}
	msgs, err := wire.DecodePacket(data)
	if err != nil {
		return nil, err
	}
	return n.opts.codec.Encode(msgs)
}

// flush sends the core's output and publishes its events.
func (n *Node) flush(c *core.Core) {
	if !c.HasReady() {
		n.checkJoined(c)
		return
	}
	rd := c.Ready()
	for _, o := range rd.Messages {
		if o.Reliable {
			select {
			case n.sendQ <- o:
			default:
				n.sendErrors.Add(1)
				n.opts.onError(fmt.Errorf("gossip: stream queue full, dropped message to %s", o.To))
			}
			continue
		}
		data, err := n.encode(o.Data)
		if err == nil {
			err = n.tr.WritePacket(context.Background(), o.To, data)
		}
		if err != nil {
			n.sendErrors.Add(1)
			n.opts.onError(fmt.Errorf("gossip: send to %s: %w", o.To, err))
		}
	}
	for _, e := range rd.Events {
		n.logEvent(e)
		n.publish(e)
	}
	n.checkJoined(c)
}

func (n *Node) checkJoined(c *core.Core) {
	if !n.isJoined && c.Joined() {
		n.isJoined = true
		close(n.joined)
	}
}

func (n *Node) logEvent(e Event) {
	switch e.Type {
	case EventJoin, EventLeft, EventFailed, EventConflict:
		n.log.Info("member "+e.Type.String(), "peer_id", e.Member.ID, "peer_addr", e.Member.Addr, "incarnation", e.Member.Incarnation)
	case EventUser:
	default:
		n.log.Debug("member "+e.Type.String(), "peer_id", e.Member.ID, "incarnation", e.Member.Incarnation)
	}
}

// ---- streams ---------------------------------------------------------------

func (n *Node) sendStream(ctx context.Context, to string, data []byte) error {
	data, err := n.encode(data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.streamIO)
	defer cancel()
	conn, err := n.tr.DialStream(ctx, to)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(n.opts.streamIO))
	return frame.Write(conn, data)
}

func (n *Node) streamSender() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case o := <-n.sendQ:
			if err := n.sendStream(n.ctx, o.To, o.Data); err != nil {
				n.streamErrors.Add(1)
				n.opts.onError(fmt.Errorf("gossip: stream to %s: %w", o.To, err))
			}
		}
	}
}

// nodeHandler is the Node's gossip.Handler: packets go to the loop's
// queue, streams are read frame by frame into the loop.
type nodeHandler struct{ n *Node }

// HandlePacket queues p for the loop without blocking; a full queue drops
// it (counted).
func (h nodeHandler) HandlePacket(p Packet) {
	select {
	case h.n.packets <- p:
	default:
		h.n.droppedPackets.Add(1)
	}
}

// HandleStream reads frames from conn into the loop until the stream ends,
// fails, or the node stops. The transport closes conn afterwards.
func (h nodeHandler) HandleStream(conn net.Conn) {
	n := h.n
	from := conn.RemoteAddr().String()
	for {
		_ = conn.SetReadDeadline(time.Now().Add(n.opts.streamIO))
		b, err := frame.Read(conn, MaxStreamFrame)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				n.streamErrors.Add(1)
				n.opts.onError(fmt.Errorf("gossip: stream from %s: %w", from, err))
			}
			return
		}
		select {
		case n.inbound <- Packet{From: from, Data: b, Received: time.Now()}:
		case <-n.stop:
			return
		}
	}
}

// ---- API -------------------------------------------------------------------

// Join contacts the given seed addresses and waits until this member has
// merged the cluster's state from at least one of them, or ctx ends. It
// returns an error wrapping ErrJoin when no seed could be reached.
func (n *Node) Join(ctx context.Context, seeds ...string) error {
	var msgs []core.Outbound
	err := n.running(func(c *core.Core) error {
		if err := c.Join(time.Now(), seeds); err != nil {
			return err
		}
		// Take the join messages out to send them from this goroutine and
		// see whether they get through; anything else goes out as usual.
		rd := c.Ready()
		for _, o := range rd.Messages {
			if o.Reliable {
				msgs = append(msgs, o)
			} else if data, err := n.encode(o.Data); err == nil {
				_ = n.tr.WritePacket(ctx, o.To, data)
			}
		}
		for _, e := range rd.Events {
			n.logEvent(e)
			n.publish(e)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJoin, err)
	}
	var errs []error
	ok := 0
	for _, o := range msgs {
		if err := n.sendStream(ctx, o.To, o.Data); err != nil {
			errs = append(errs, fmt.Errorf("seed %s: %w", o.To, err))
			continue
		}
		ok++
	}
	if ok == 0 && len(msgs) > 0 {
		return fmt.Errorf("%w: %w", ErrJoin, errors.Join(errs...))
	}
	select {
	case <-n.joined:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrJoin, ctx.Err())
	case <-n.loopEnd:
		return fmt.Errorf("%w: %w", ErrJoin, ErrNotRunning)
	}
}

// Meet adds a member known by other means and introduces this member to it.
func (n *Node) Meet(v NodeView) error {
	return n.running(func(c *core.Core) error { return c.Meet(time.Now(), v) })
}

// Leave announces a graceful departure and waits, bounded by ctx, until the
// announcement has been handed to the network and gossiped a few rounds.
// The node keeps running (and answering) until Shutdown.
func (n *Node) Leave(ctx context.Context) error {
	if err := n.running(func(c *core.Core) error { return c.Leave(time.Now()) }); err != nil {
		return err
	}
	tick := time.NewTicker(n.cfg.GossipInterval)
	defer tick.Stop()
	for i := 0; i < 5; i++ {
		var queued int
		if err := n.do(func(c *core.Core) { queued = c.Stats().QueuedUpdates }); err != nil {
			return err
		}
		if queued == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// Shutdown stops the protocol, closes the transport and every subscription,
// and waits for all goroutines to exit or ctx to end. It does not announce
// a departure; call Leave first for that. Shutdown after Shutdown is a
// no-op.
func (n *Node) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	if n.state != 1 {
		n.state = 2
		n.mu.Unlock()
		return nil
	}
	n.state = 2
	// Unblock stream writes; the transport's Close ends stream reads.
	n.cancel()
	n.mu.Unlock()
	close(n.stop)
	terr := n.tr.Close()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	n.mu.Lock()
	subs := n.subs
	n.subs = nil
	n.mu.Unlock()
	for _, s := range subs {
		s.close()
	}
	n.log.Info("node stopped")
	return terr
}

// Members returns every member known, including this one and members dead
// or left but not yet reaped, sorted by ID. Before Start it returns nil.
func (n *Node) Members() []NodeView {
	var out []NodeView
	_ = n.do(func(c *core.Core) { out = c.Members() })
	return out
}

// LiveMembers returns the members that are alive or suspect, this one
// included while it has not left.
func (n *Node) LiveMembers() []NodeView {
	all := n.Members()
	out := all[:0]
	for _, v := range all {
		if v.State <= StateSuspect {
			out = append(out, v)
		}
	}
	return out
}

// LocalNode returns this member's view. Before Start it reports the
// configured id.
func (n *Node) LocalNode() NodeView {
	v := NodeView{ID: n.cfg.ID, Addr: n.cfg.Addr, Meta: map[string]string{}}
	_ = n.do(func(c *core.Core) { v = c.LocalNode() })
	return v
}

// SetMeta replaces this member's metadata and spreads it.
func (n *Node) SetMeta(meta map[string]string) error {
	return n.running(func(c *core.Core) error { return c.SetMeta(time.Now(), meta) })
}

// Broadcast spreads payload to every other member, where it arrives as an
// EventUser. Delivery is best effort and de-duplicated.
func (n *Node) Broadcast(payload []byte) error {
	return n.running(func(c *core.Core) error { return c.Broadcast(time.Now(), payload) })
}

// NodeStats are a Node's counters: the core's and the runtime's own.
type NodeStats struct {
	core.Stats
	SendErrors     uint64 // packets or streams that could not be sent
	StreamErrors   uint64 // streams that failed to connect, write or read
	DecodeErrors   uint64 // inputs the codec or core rejected
	DroppedPackets uint64 // received packets dropped because the loop's queue was full
}

// Stats returns a snapshot of the node's counters.
func (n *Node) Stats() NodeStats {
	var s NodeStats
	_ = n.do(func(c *core.Core) { s.Stats = c.Stats() })
	s.SendErrors = n.sendErrors.Load()
	s.StreamErrors = n.streamErrors.Load()
	s.DecodeErrors = n.decodeErrors.Load()
	s.DroppedPackets = n.droppedPackets.Load()
	return s
}

// ---- subscriptions -----------------------------------------------------------

// Subscription receives a Node's events on C. Events arrive in order; when
// the buffer is full, new events are dropped (counted by Dropped) rather than
// blocking the protocol.
type Subscription struct {
	// C delivers events. It is closed by Close or Shutdown.
	C <-chan Event

	c       chan Event
	dropped atomic.Uint64
	once    sync.Once
	n       *Node
}

// Subscribe returns a subscription with the given buffer (default 256 when
// buffer <= 0).
func (n *Node) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 256
	}
	ch := make(chan Event, buffer)
	s := &Subscription{C: ch, c: ch, n: n}
	n.mu.Lock()
	if n.state == 2 {
		n.mu.Unlock()
		s.close()
		return s
	}
	n.subs = append(n.subs, s)
	n.mu.Unlock()
	return s
}

// Dropped returns the number of events lost because the buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.n.mu.Lock()
	for i, x := range s.n.subs {
		if x == s {
			s.n.subs = append(s.n.subs[:i:i], s.n.subs[i+1:]...)
			break
		}
	}
	s.n.mu.Unlock()
	s.close()
}

func (s *Subscription) close() { s.once.Do(func() { close(s.c) }) }

func (n *Node) publish(e Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}
