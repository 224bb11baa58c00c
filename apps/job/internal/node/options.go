package node

import (
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
)

// Metadata keys a job member publishes in gossip.
const (
	// TagAPI holds the member's job API address, "host:port".
	TagAPI = "job_api"
	// TagBoot identifies the member's process: a new value at every Start,
	// so the leader learns that a member restarted (and forgot its runs)
	// without waiting for gossip to declare it failed.
	TagBoot = "job_boot"
)

// Defaults of the options.
const (
	DefaultTick            = 200 * time.Millisecond
	DefaultDispatchTimeout = 5 * time.Second
	DefaultQueryGrace      = 5 * time.Second
	DefaultCallTimeout     = 3 * time.Second
	DefaultMaxRuns         = 64
	DefaultMaxConns        = 256
	DefaultMaxBody         = 1 << 20
	DefaultFenceSize       = 100_000
)

type options struct {
	apiAddr         string
	raftOpts        []raft.Option
	tags            map[string]string
	tick            time.Duration
	dispatchTimeout time.Duration
	queryGrace      time.Duration
	callTimeout     time.Duration
	maxRuns         int
	maxConns        int
	log             *slog.Logger
	now             func() time.Time
	onErr           func(error)
}

// Option configures a Node.
type Option func(*options)

// WithAPIAddr sets the address the job API listens on, "host:port".
// Default: the gossip member's host, port 0 (any free port). The bound
// address is published in gossip under TagAPI.
func WithAPIAddr(addr string) Option { return func(o *options) { o.apiAddr = addr } }

// WithRaftOptions passes options to the raft server (cluster/raft).
func WithRaftOptions(opts ...raft.Option) Option {
	return func(o *options) { o.raftOpts = append(o.raftOpts, opts...) }
}

// WithTags sets this member's tags, matched against a job's Tags; they are
// published in gossip metadata. Default none.
func WithTags(tags map[string]string) Option { return func(o *options) { o.tags = tags } }

// WithTick sets how often the leader reconciles the ledger. Default 200ms.
func WithTick(d time.Duration) Option { return func(o *options) { o.tick = d } }

// WithDispatchTimeout sets how long a dispatched run may wait for its start
// before the leader dispatches it again. Default 5s.
func WithDispatchTimeout(d time.Duration) Option {
	return func(o *options) { o.dispatchTimeout = d }
}

// WithQueryGrace sets how long past its job's timeout a running run goes
// before the leader asks its executor about it. Default 5s.
func WithQueryGrace(d time.Duration) Option { return func(o *options) { o.queryGrace = d } }

// WithCallTimeout bounds each call between members. Default 3s.
func WithCallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// WithMaxRuns bounds the runs this member executes at once; a dispatch over
// the bound is refused (the leader dispatches it again). Default 64.
func WithMaxRuns(n int) Option { return func(o *options) { o.maxRuns = n } }

// WithMaxConns bounds the API connections open at once. Default 256.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock the scheduler reads. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithErrorHandler receives background errors (failed dispatches, calls,
// applies). Default: log at Warn.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onErr = fn } }

func defaults() options {
	return options{
		tick:            DefaultTick,
		dispatchTimeout: DefaultDispatchTimeout,
		queryGrace:      DefaultQueryGrace,
		callTimeout:     DefaultCallTimeout,
		maxRuns:         DefaultMaxRuns,
		maxConns:        DefaultMaxConns,
		log:             slog.Default(),
		now:             time.Now,
	}
}
