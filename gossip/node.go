package gossip

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
)

// nodeState is where a Node is in its lifecycle.
type nodeState uint8

const (
	stateNew      nodeState = iota // built by New, not started
	stateRunning                   // Start succeeded
	stateShutdown                  // Shutdown called (from any state)
)

// Node runs a gossip member: one goroutine drives a core.Core with the
// Node's clock over a Transport. All methods are safe for concurrent use.
//
// Lifecycle: New (no goroutines, no sockets), Start, then Join, and finally
// Leave and Shutdown.
//
// The protocol goroutine never waits on I/O. It feeds the core and hands
// the core's output to senders through a bounded queue per destination: a
// slow, dead or black-holed destination delays only its own messages,
// which are dropped and counted (Stats) when they grow stale. Members,
// LocalNode and Stats read a snapshot the protocol goroutine publishes
// after every change, so they never wait for it. Events reach subscribers
// without blocking the protocol either (see Subscribe).
type Node struct {
	given Config // as given to New; never modified
	cfg   Config // after Start, as completed by the core (written once, under mu)
	tr    Transport
	tw    PacketTryWriter // tr, when it can send packets without waiting
	opts  options
	log   *slog.Logger

	mu    sync.Mutex // guards state, ctx and stop
	state nodeState
	ctx   context.Context // cancelled by Shutdown; bounds all I/O
	stop  func()

	reqs     chan func(*core.Core) // API calls run on the loop
	inbound  *inbox                // received packets for the loop
	frames   chan input            // stream frames for the loop (unbuffered)
	done     chan struct{}         // closed by Shutdown: goroutines exit
	loopEnd  chan struct{}         // closed when the loop has returned
	joined   chan struct{}         // closed when the core first joins
	selfJoin chan struct{}         // signalled when a join from this very node arrives
	wg       sync.WaitGroup        // every goroutine of a started Node
	out      *sender               // per-destination outbound queues
	snap     atomic.Pointer[snapshot]
	changed  bool // events since the last snapshot (protocol goroutine only)
	// membersRead is set by Members when a snapshot's member list is read:
	// the next snapshot a gossip interval after it was built rebuilds it.
	membersRead atomic.Bool
	packetSz    int // the transport's packet size

	subs subscriptions

	sendErrors     atomic.Uint64
	streamErrors   atomic.Uint64
	decodeErrors   atomic.Uint64
	inboundDropped atomic.Uint64
	oversize       atomic.Uint64
}

// New validates cfg and the options and returns a Node that will run over
// tr. It opens no socket and starts no goroutine; call Start.
func New(cfg Config, tr Transport, opts ...Option) (*Node, error) {
	if tr == nil {
		return nil, fmt.Errorf("%w: nil transport", core.ErrConfig)
	}
	probe := cfg
	if probe.Addr == "" {
		probe.Addr = "pending:0"
	}
	probe.PacketSize = 0 // the transport's, set by Start
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.codec == nil {
		o.codec = BinaryCodec{}
	}
	if o.clock == nil {
		o.clock = SystemClock{}
	}
	n := &Node{
		given:    cfg,
		cfg:      cfg,
		tr:       tr,
		opts:     o,
		log:      o.log.With("component", "gossip", "node_id", cfg.ID),
		reqs:     make(chan func(*core.Core)),
		inbound:  newInbox(inboundQueue),
		frames:   make(chan input),
		done:     make(chan struct{}),
		loopEnd:  make(chan struct{}),
		joined:   make(chan struct{}),
		selfJoin: make(chan struct{}, 1),
	}
	if n.opts.onError == nil {
		n.opts.onError = func(err error) { n.log.Debug("background error", "err", err) }
	}
	n.tw, _ = tr.(PacketTryWriter)
	n.out = newSender(n)
	return n, nil
}

// inboundQueue is the number of received packets waiting for the protocol
// goroutine; packets beyond it are dropped and counted.
const inboundQueue = 256

// Start starts the transport and the protocol. The member is alone until
// Join (or until another member contacts it). Start after Shutdown returns
// ErrShutdown; a second Start returns ErrStarted.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch n.state {
	case stateRunning:
		return ErrStarted
	case stateShutdown:
		return ErrShutdown
	}
	if err := n.tr.Start(ctx, nodeHandler{n}); err != nil {
		return fmt.Errorf("gossip: start transport: %w", err)
	}
	cfg := n.cfg
	if cfg.Addr == "" {
		cfg.Addr = n.tr.Addr()
	}
	n.packetSz = n.tr.PacketSize()
	// The transport owns the packet size; the core builds packets for it.
	cfg.PacketSize = min(max(n.packetSz, core.MinPacketSize), 65507)
	if cfg.Incarnation == 0 {
		// A restart outranks every record of the previous run.
		cfg.Incarnation = uint64(n.opts.clock.Now().Unix())
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
	n.cfg = c.Config()
	n.state = stateRunning
	n.ctx, n.stop = context.WithCancel(context.Background())
	n.publishSnapshot(c)
	n.wg.Add(1)
	go n.loop(c)
	n.log.Info("node started", "addr", cfg.Addr, "incarnation", cfg.Incarnation, "codec", n.opts.codec.Name())
	return nil
}

// Shutdown stops the protocol, closes the transport and every
// subscription, and waits for all goroutines to exit or ctx to end. It
// does not announce a departure; call Leave first for that. Subscriptions
// are closed in every case: on a Node that never started, and when ctx
// ends first (the goroutines, already told to stop, then exit on their
// own). Shutdown after Shutdown is a no-op.
func (n *Node) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	prev := n.state
	n.state = stateShutdown
	if prev != stateRunning {
		n.mu.Unlock()
		n.subs.closeAll()
		return nil
	}
	n.stop() // unblocks dials, writes and joins
	n.mu.Unlock()
	close(n.done)        // unblocks stream readers waiting for the loop
	terr := n.tr.Close() // closes inbound streams; no Handler call after it
	n.out.close()
	finished := make(chan struct{})
	go func() { n.wg.Wait(); close(finished) }()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
	}
	n.subs.closeAll()
	if err != nil {
		return err
	}
	n.log.Info("node stopped")
	return terr
}

// currentState returns the lifecycle state.
func (n *Node) currentState() nodeState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state
}

// notRunning is the error for a call that needs a running Node.
func notRunning(s nodeState) error {
	if s == stateShutdown {
		return ErrShutdown
	}
	return ErrNotRunning
}

// call runs fn on the protocol goroutine and waits for it. It fails with
// ErrNotRunning before Start and ErrShutdown after Shutdown. API calls
// wait only for the loop, which never waits on I/O.
func (n *Node) call(fn func(*core.Core) error) error {
	if s := n.currentState(); s != stateRunning {
		return notRunning(s)
	}
	var err error
	ran := make(chan struct{})
	select {
	case n.reqs <- func(c *core.Core) {
		err = fn(c)
		// Hand out the output and publish the snapshot before the caller
		// returns, so that it reads its own write.
		n.drain(c)
		n.publishSnapshot(c)
		close(ran)
	}:
		<-ran
		return err
	case <-n.loopEnd:
		return ErrShutdown
	}
}

// report counts a background error (when counter is not nil) and hands
// it to the error handler.
func (n *Node) report(counter *atomic.Uint64, err error) {
	if counter != nil {
		counter.Add(1)
	}
	n.opts.onError(err)
}

// now reads the Node's clock.
func (n *Node) now() time.Time { return n.opts.clock.Now() }

// metaError translates a metadata encoding error into this package's
// sentinels.
func metaError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, wire.ErrTooLarge) {
		return fmt.Errorf("%w: %w", ErrMetaTooLarge, err)
	}
	return fmt.Errorf("%w: %w", ErrMetaInvalid, err)
}
