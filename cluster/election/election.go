package election

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/internal/membermeta"
	"github.com/libgossip/libgossip/gossip"
	"go.opentelemetry.io/otel/metric"
)

// Errors returned by an Election.
var (
	// ErrConfig wraps configuration errors from New.
	ErrConfig = errors.New("election: invalid config")
	// ErrNotRunning is returned by Start after Shutdown.
	ErrNotRunning = errors.New("election: not running")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("election: already started")
)

// DefaultInterval is how often an Election re-reads the membership besides
// every membership event.
const DefaultInterval = time.Second

type options struct {
	rank      int
	candidate bool
	interval  time.Duration
	log       *slog.Logger
	onError   func(error)

	meterProvider metric.MeterProvider
}

// Option configures an Election.
type Option func(*options)

// WithRank sets this member's rank: the live candidate with the lowest rank
// leads (ties: lowest id). Default 0.
func WithRank(r int) Option { return func(o *options) { o.rank = r } }

// AsObserver makes this member follow the election without standing in it.
// Default: it stands.
func AsObserver() Option { return func(o *options) { o.candidate = false } }

// WithInterval sets how often the membership is re-read besides on every
// membership event. Default 1s.
func WithInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithLogger sets the logger. Default slog.Default() with
// component=cluster/election, node_id and election attached.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithErrorHandler receives background errors (bad tags of other members,
// failed metadata updates). Default: log at Warn.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// Election runs one named election over a gossip Node: a lease over
// membership, not consensus. The leader is the live candidate with the
// lowest rank (then id) in this member's view; members that see the same
// live candidates agree. Its guarantee is at most one leader per view:
// members whose views differ (during a partition, or while a change is
// spreading) may each see a different leader, so leaderships overlap.
// The fencing token lets a resource fence a deposed leader off; a caller
// that needs one leader at a time whatever the partition uses
// cluster/raft.
//
// All methods are safe for concurrent use.
type Election struct {
	node *gossip.Node
	name string
	key  string
	o    options
	log  *slog.Logger

	mu    sync.Mutex
	state int // 0 new, 1 running, 2 stopped
	lease Lease
	m     *Machine

	changes chan Lease
	stop    chan struct{}
	wg      sync.WaitGroup
	tel     *telemetry
}

// New returns an election named name over node. It starts nothing.
func New(node *gossip.Node, name string, opts ...Option) (*Election, error) {
	o := options{candidate: true, interval: DefaultInterval}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case node == nil:
		return nil, fmt.Errorf("%w: nil gossip node", ErrConfig)
	case name == "" || len(name) > 64:
		return nil, fmt.Errorf("%w: name must have 1 to 64 bytes, got %d", ErrConfig, len(name))
	case o.interval <= 0:
		return nil, fmt.Errorf("%w: interval must be positive, got %v", ErrConfig, o.interval)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	id := node.LocalNode().ID
	log := o.log.With("component", "cluster/election", "node_id", id, "election", name)
	if o.onError == nil {
		o.onError = func(err error) { log.Warn("election background error", "err", err) }
	}
	e := &Election{node: node, name: name, key: TagPrefix + name, o: o, log: log,
		m: NewMachine(id, 0), changes: make(chan Lease, 1), stop: make(chan struct{})}
	var err error
	if e.tel, err = newTelemetry(o.meterProvider, e); err != nil {
		return nil, fmt.Errorf("election: instruments: %w", err)
	}
	return e, nil
}

// Start publishes this member's candidacy (unless it observes) and starts
// following the membership. The Node must be running.
func (e *Election) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch e.state {
	case 1:
		return ErrStarted
	case 2:
		return ErrNotRunning
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.o.candidate {
		if err := e.publish(0); err != nil {
			return err
		}
	}
	sub := e.node.Subscribe(64)
	e.state = 1
	e.wg.Add(1)
	go e.run(sub)
	return nil
}

func (e *Election) publish(token uint64) error {
	if err := membermeta.Set(e.node, e.key, formatTag(e.o.rank, token)); err != nil {
		return fmt.Errorf("election: publish candidacy: %w", err)
	}
	return nil
}

func (e *Election) run(sub *gossip.Subscription) {
	defer e.wg.Done()
	defer sub.Close()
	tick := time.NewTicker(e.o.interval)
	defer tick.Stop()
	events := sub.C
	bad := map[string]string{}
	published := uint64(0)
	for {
		e.step(bad, &published)
		select {
		case <-e.stop:
			return
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case <-tick.C:
		}
	}
}

// view reads the live candidates from the membership.
func (e *Election) view(bad map[string]string) []Candidate {
	var out []Candidate
	for _, v := range e.node.LiveMembers() {
		tag, ok := v.Meta[e.key]
		if !ok {
			continue
		}
		rank, token, err := parseTag(tag)
		if err != nil {
			if bad[v.ID] != tag {
				bad[v.ID] = tag
				e.o.onError(fmt.Errorf("member %s: %w", v.ID, err))
			}
			continue
		}
		delete(bad, v.ID)
		out = append(out, Candidate{ID: v.ID, Rank: rank, Token: token})
	}
	return out
}

func (e *Election) step(bad map[string]string, published *uint64) {
	view := e.view(bad)
	e.mu.Lock()
	lease := e.m.Update(view)
	token := e.m.Token()
	changed := lease != e.lease
	e.lease = lease
	if changed {
		// Counted before Leader can return the new lease: whoever sees
		// the lease sees it counted (publishing the token below waits on
		// the gossip node).
		e.tel.changed(lease.Self)
	}
	e.mu.Unlock()
	if e.o.candidate && token != *published {
		if err := e.publish(token); err != nil {
			e.o.onError(err)
		} else {
			*published = token
		}
	}
	if !changed {
		return
	}
	e.log.Info("election leader changed", "leader", lease.Leader, "token", lease.Token, "self", lease.Self)
	for sent := false; !sent; {
		select {
		case e.changes <- lease:
			sent = true
		default:
			select {
			case <-e.changes:
			default:
			}
		}
	}
}

// Leader returns this member's current lease. It never blocks.
func (e *Election) Leader() Lease {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lease
}

// Changes returns the channel of lease changes as this member sees them.
// It holds one value; a change replaces a value not yet read, so a slow
// reader sees the latest lease. It is closed by Shutdown. Every call
// returns the same channel: read it from one goroutine.
func (e *Election) Changes() <-chan Lease { return e.changes }

// Shutdown stops following the election, withdraws the candidacy from the
// member's metadata (while the Node runs) and closes Changes. It waits for
// its goroutine or ctx. Shutdown after Shutdown is a no-op.
func (e *Election) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	st := e.state
	e.state = 2
	e.mu.Unlock()
	_ = e.tel.reg.Unregister()
	if st != 1 {
		return nil
	}
	close(e.stop)
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	close(e.changes)
	if e.o.candidate {
		_ = membermeta.Set(e.node, e.key, "") // the Node may be shut down already
	}
	return nil
}
