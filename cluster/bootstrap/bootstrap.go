package bootstrap

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

type options struct {
	seeds          []Seed
	resolver       Resolver
	snapshot       string
	rejoin         RejoinConfig
	backoff        Backoff
	expect         int
	syncInterval   time.Duration
	attemptTimeout time.Duration
	seed           uint64
	log            *slog.Logger
	onError        func(error)
	err            error
}

// Option configures a Bootstrapper.
type Option func(*options)

// WithSeeds sets the seeds: "host:port", "dns+name:port" (every A/AAAA
// record) or "dnssrv+_service._proto.name" (SRV). They are resolved
// again on every attempt. A seed that does not parse makes New fail with
// ErrSeed.
func WithSeeds(seeds ...string) Option {
	return func(o *options) {
		for _, s := range seeds {
			sd, err := ParseSeed(s)
			if err != nil && o.err == nil {
				o.err = err
			}
			o.seeds = append(o.seeds, sd)
		}
	}
}

// WithResolver sets the DNS resolver of dns+ and dnssrv+ seeds. Default
// net.DefaultResolver.
func WithResolver(r Resolver) Option { return func(o *options) { o.resolver = r } }

// WithSnapshot keeps the peer snapshot in the file at path (created if
// missing). Default: no snapshot.
func WithSnapshot(path string) Option { return func(o *options) { o.snapshot = path } }

// WithRejoin sets the rejoin interval (default 30s; negative disables
// periodic rejoin) and the number of absent peers tried per round
// (default 3).
func WithRejoin(interval time.Duration, fanout int) Option {
	return func(o *options) { o.rejoin.Interval, o.rejoin.Fanout = interval, fanout }
}

// WithForgetAfter sets how long a peer not seen is remembered (default
// 72h).
func WithForgetAfter(d time.Duration) Option { return func(o *options) { o.rejoin.ForgetAfter = d } }

// WithBackoff sets the retry backoff of the initial join (default 200ms
// doubling to 30s, jittered).
func WithBackoff(b Backoff) Option { return func(o *options) { o.backoff = b } }

// WithExpect makes Ready wait until n live members (this one included)
// are seen. Default 0: ready once joined.
func WithExpect(n int) Option { return func(o *options) { o.expect = n } }

// WithSyncInterval bounds how long a snapshot change may stay unsynced
// (written and fsync'd). Default 1s.
func WithSyncInterval(d time.Duration) Option { return func(o *options) { o.syncInterval = d } }

// WithAttemptTimeout bounds one join attempt. Default 5s.
func WithAttemptTimeout(d time.Duration) Option { return func(o *options) { o.attemptTimeout = d } }

// WithSeed seeds the jitter and the choice of rejoin targets. Default
// random.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithLogger sets the logger. Default slog.Default() with
// component=cluster/bootstrap.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithErrorHandler receives background errors (failed join attempts,
// snapshot write errors). Default: log at Debug (join attempts) or Warn
// (snapshot).
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// Bootstrapper joins a node to its cluster and keeps it whole: it joins
// through the seeds and the peers of its snapshot, retrying with backoff;
// records the peers it sees in the snapshot file; and periodically joins
// known peers that are absent from the membership again. Methods are safe
// for concurrent use.
//
// Lifecycle: New, Start (after the node's Start), Shutdown (before the
// node's Shutdown).
type Bootstrapper struct {
	node *gossip.Node
	opts options
	self string

	mu     sync.Mutex // guards the fields below
	rejoin *Rejoin
	snap   *Snapshot
	rng    *rand.Rand
	state  int

	joined   chan struct{}
	ready    chan struct{}
	isJoined bool
	isReady  bool
	resolves int
	attempts int
	sub      *gossip.Subscription
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// New returns a Bootstrapper for node. It opens nothing.
func New(node *gossip.Node, opts ...Option) (*Bootstrapper, error) {
	if node == nil {
		return nil, fmt.Errorf("%w: nil node", ErrConfig)
	}
	o := options{syncInterval: time.Second, attemptTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	if o.resolver == nil {
		o.resolver = net.DefaultResolver
	}
	if o.syncInterval <= 0 || o.attemptTimeout <= 0 || o.expect < 0 {
		return nil, fmt.Errorf("%w: sync interval %v, attempt timeout %v, expect %d", ErrConfig, o.syncInterval, o.attemptTimeout, o.expect)
	}
	if o.seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		o.seed = binary.LittleEndian.Uint64(b[:])
	}
	self := node.LocalNode().ID
	o.rejoin.Self = self
	disabled := o.rejoin.Interval < 0
	if disabled {
		o.rejoin.Interval = time.Hour
	}
	o.rejoin.Rand = rand.NewPCG(o.seed, 1)
	rj, err := NewRejoin(o.rejoin)
	if err != nil {
		return nil, err
	}
	if disabled {
		rj.cfg.Interval = -1
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	o.log = o.log.With("component", "cluster/bootstrap", "node_id", self)
	if o.onError == nil {
		log := o.log
		o.onError = func(err error) { log.Debug("bootstrap background error", "err", err) }
	}
	return &Bootstrapper{
		node: node, opts: o, self: self, rejoin: rj,
		rng:    rand.New(rand.NewPCG(o.seed, 2)),
		joined: make(chan struct{}), ready: make(chan struct{}),
	}, nil
}

// Start loads the snapshot, subscribes to the node's events and starts
// joining in the background; it does not wait for the join (see Joined,
// Ready and WaitReady). The node must be started.
func (b *Bootstrapper) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != 0 {
		return fmt.Errorf("%w: already started", ErrNotRunning)
	}
	b.self = b.node.LocalNode().ID
	if b.opts.snapshot != "" {
		snap, peers, err := OpenSnapshot(b.opts.snapshot)
		if err != nil {
			return err
		}
		for _, p := range peers {
			b.rejoin.Restore(p)
		}
		b.snap = snap
	}
	b.sub = b.node.Subscribe(4096) // before reading the members: no gap
	b.observeLocked(time.Now(), b.node.Members())
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.state = 1
	b.wg.Add(2)
	go b.joinLoop()
	go b.loop()
	return nil
}

// Shutdown stops the background work, syncs and closes the snapshot, and
// waits for its goroutines or the end of ctx. The node keeps running.
func (b *Bootstrapper) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	if b.state != 1 {
		b.state = 2
		b.mu.Unlock()
		return nil
	}
	b.state = 2
	b.mu.Unlock()
	b.cancel()
	b.sub.Close()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.snap != nil {
		return b.snap.Close()
	}
	return nil
}

// Joined is closed once the node has joined another member (or found
// nothing to join: no seeds and no known peers, the first member).
func (b *Bootstrapper) Joined() <-chan struct{} { return b.joined }

// Ready is closed once joined and, with WithExpect(n), n live members are
// seen.
func (b *Bootstrapper) Ready() <-chan struct{} { return b.ready }

// WaitReady blocks until Ready or the end of ctx.
func (b *Bootstrapper) WaitReady(ctx context.Context) error {
	select {
	case <-b.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Peers returns the known peers (alive or failed), sorted by id.
func (b *Bootstrapper) Peers() []Peer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rejoin.Peers()
}

// Attempts returns the number of join attempts made so far (initial
// joins and rejoin rounds).
func (b *Bootstrapper) Attempts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts
}

// observeLocked records a membership listing (the snapshot), which also
// catches what an event could not: a change published before the
// subscription, or events dropped by a full buffer. b.mu is held.
func (b *Bootstrapper) observeLocked(now time.Time, members []gossip.NodeView) {
	for _, v := range members {
		if b.rejoin.Observe(now, v) {
			b.recordLocked(v)
		}
	}
}

// recordLocked appends what is known of v to the snapshot. b.mu is held.
func (b *Bootstrapper) recordLocked(v gossip.NodeView) {
	if b.snap == nil || v.ID == b.self {
		return
	}
	p := Peer{ID: v.ID, Addr: v.Addr, Failed: v.State == gossip.StateDead, Seen: time.Now()}
	if err := b.snap.Record(p, v.State == gossip.StateLeft); err != nil {
		b.opts.onError(err)
	}
}

// candidates resolves the seeds afresh and adds the absent known peers,
// leaving out this member's own address. self reports that the seeds
// resolved to this member alone (the first seed of a cluster).
func (b *Bootstrapper) candidates(ctx context.Context) (out []string, self bool) {
	rctx, cancel := context.WithTimeout(ctx, b.opts.attemptTimeout)
	defer cancel()
	addrs, err := Resolve(rctx, b.opts.resolver, b.opts.seeds)
	if err != nil {
		b.opts.onError(err)
	}
	live := b.node.LiveMembers()
	selfAddr := b.node.LocalNode().Addr
	b.mu.Lock()
	b.resolves++
	addrs = append(addrs, b.rejoin.Absent(live)...)
	b.mu.Unlock()
	seen := map[string]bool{}
	for _, v := range live {
		seen[v.Addr] = true
	}
	for _, a := range addrs {
		if a == selfAddr {
			self = true
		}
		if !seen[a] && a != selfAddr {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, self && len(out) == 0
}

// joinLoop makes the initial join: every attempt re-resolves the seeds,
// and failures back off with jitter until a join succeeds, another
// member finds this one, or Shutdown.
func (b *Bootstrapper) joinLoop() {
	defer b.wg.Done()
	ctx := b.ctx
	for attempt := 0; ; attempt++ {
		if len(b.node.LiveMembers()) > 1 {
			break
		}
		addrs, onlySelf := b.candidates(ctx)
		if len(addrs) == 0 && (len(b.opts.seeds) == 0 || onlySelf) {
			break // nothing to join: the first member
		}
		if len(addrs) > 0 {
			b.mu.Lock()
			b.attempts++
			b.mu.Unlock()
			actx, cancel := context.WithTimeout(ctx, b.opts.attemptTimeout)
			err := b.node.Join(actx, addrs...)
			cancel()
			// ErrJoinSelf: every address was this member's own, spelled
			// otherwise; it is the first member.
			if err == nil || errors.Is(err, gossip.ErrJoinSelf) {
				break
			}
			b.opts.onError(fmt.Errorf("bootstrap: join attempt %d: %w", attempt+1, err))
		}
		b.mu.Lock()
		d := b.opts.backoff.Delay(attempt, b.rng)
		b.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	b.mu.Lock()
	b.isJoined = true
	close(b.joined)
	b.checkReadyLocked()
	b.mu.Unlock()
	b.opts.log.Info("joined", "live_members", len(b.node.LiveMembers()))
}

func (b *Bootstrapper) checkReadyLocked() {
	if b.isReady || !b.isJoined {
		return
	}
	if b.opts.expect > 0 && len(b.node.LiveMembers()) < b.opts.expect {
		return
	}
	b.isReady = true
	close(b.ready)
}

// loop owns the periodic work: recording events, syncing the snapshot,
// rejoin rounds.
func (b *Bootstrapper) loop() {
	defer b.wg.Done()
	syncT := time.NewTicker(b.opts.syncInterval)
	defer syncT.Stop()
	var rejoinC <-chan time.Time
	if iv := b.rejoin.cfg.Interval; iv > 0 {
		rt := time.NewTicker(iv / 4)
		defer rt.Stop()
		rejoinC = rt.C
	}
	for {
		select {
		case <-b.ctx.Done():
			return
		case ev, ok := <-b.sub.C:
			if !ok {
				return
			}
			b.mu.Lock()
			if ev.Type != gossip.EventUser && b.rejoin.Observe(time.Now(), ev.Member) {
				b.recordLocked(ev.Member)
			}
			b.checkReadyLocked()
			b.mu.Unlock()
		case <-syncT.C:
			b.syncSnapshot()
		case now := <-rejoinC:
			b.rejoinRound(now)
		}
	}
}

func (b *Bootstrapper) syncSnapshot() {
	members := b.node.Members()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.observeLocked(time.Now(), members)
	b.checkReadyLocked()
	if b.snap == nil {
		return
	}
	if peers := b.rejoin.Peers(); b.snap.Records() > 2*len(peers)+64 {
		if err := b.snap.Compact(peers); err != nil {
			b.opts.onError(err)
		}
		return
	}
	if err := b.snap.Sync(); err != nil {
		b.opts.onError(err)
	}
}

func (b *Bootstrapper) rejoinRound(now time.Time) {
	live := b.node.LiveMembers()
	b.mu.Lock()
	joined := b.isJoined
	addrs := b.rejoin.Tick(now, live)
	if len(addrs) > 0 && joined {
		b.attempts++
	}
	b.mu.Unlock()
	if !joined || len(addrs) == 0 {
		return
	}
	// Note: gossip.Node.Join on a member that has already joined returns
	// at once and cancels its push-pulls, often before they are written;
	// until that is fixed in gossip, a round may not reach the peers it
	// names (the next round tries again).
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.attemptTimeout)
	defer cancel()
	if err := b.node.Join(ctx, addrs...); err != nil {
		b.opts.onError(fmt.Errorf("bootstrap: rejoin %v: %w", addrs, err))
	}
}
