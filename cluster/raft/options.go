package raft

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of the options.
const (
	DefaultStabilization     = 10 * time.Second
	DefaultDeadServerTimeout = time.Minute
	DefaultReconcileInterval = time.Second
	DefaultHeartbeatTimeout  = time.Second
	DefaultElectionTimeout   = time.Second
	DefaultLeaderLease       = 500 * time.Millisecond
	DefaultSnapshotThreshold = 8192
	DefaultSnapshotInterval  = 2 * time.Minute
	DefaultSnapshotRetain    = 2
	DefaultMaxInboundConns   = 64
	DefaultMaxConnsPerIP     = 16
)

type options struct {
	bindAddr      string
	advertiseAddr string
	expect        int
	stabilization time.Duration
	deadTimeout   time.Duration
	reconcile     time.Duration
	heartbeat     time.Duration
	election      time.Duration
	lease         time.Duration
	snapThreshold uint64
	snapInterval  time.Duration
	snapRetain    int
	maxConns      int
	maxPerIP      int
	log           *slog.Logger
	onError       func(error)

	meterProvider  metric.MeterProvider
	tracerProvider trace.TracerProvider
}

func defaultOptions() options {
	return options{
		stabilization: DefaultStabilization,
		deadTimeout:   DefaultDeadServerTimeout,
		reconcile:     DefaultReconcileInterval,
		heartbeat:     DefaultHeartbeatTimeout,
		election:      DefaultElectionTimeout,
		lease:         DefaultLeaderLease,
		snapThreshold: DefaultSnapshotThreshold,
		snapInterval:  DefaultSnapshotInterval,
		snapRetain:    DefaultSnapshotRetain,
		maxConns:      DefaultMaxInboundConns,
		maxPerIP:      DefaultMaxConnsPerIP,
	}
}

// Option configures a Server.
type Option func(*options)

// WithBindAddr sets the TCP address raft listens on, "host:port". Default:
// the gossip member's host with port 0 (any free port); the bound address
// is published in the member's metadata, so other servers find it.
func WithBindAddr(addr string) Option { return func(o *options) { o.bindAddr = addr } }

// WithAdvertiseAddr sets the raft address other servers dial, when it
// differs from the bound one (NAT, 0.0.0.0). Default: the bound address,
// with an unspecified host replaced by the gossip member's host.
func WithAdvertiseAddr(addr string) Option { return func(o *options) { o.advertiseAddr = addr } }

// WithBootstrapExpect makes a fresh cluster bootstrap by itself once n
// servers are alive in gossip and none has raft state: the one with the
// lowest id bootstraps with all of them as voters. Default 0: never
// bootstrap; the server waits for an existing leader to add it.
func WithBootstrapExpect(n int) Option { return func(o *options) { o.expect = n } }

// WithStabilization sets how long a new server must stay alive in gossip
// before the leader promotes it from non-voter to voter. Default 10s.
func WithStabilization(d time.Duration) Option { return func(o *options) { o.stabilization = d } }

// WithDeadServerTimeout sets how long a server must have been failed (or
// gone from gossip without leaving) before the leader removes it, as far
// as quorum allows. Default 1m.
func WithDeadServerTimeout(d time.Duration) Option { return func(o *options) { o.deadTimeout = d } }

// WithReconcileInterval sets how often the leader compares the raft
// configuration with gossip, besides every membership event. Default 1s.
func WithReconcileInterval(d time.Duration) Option { return func(o *options) { o.reconcile = d } }

// WithTimeouts sets raft's heartbeat timeout, election timeout and leader
// lease. Defaults 1s, 1s, 500ms; the lease must not exceed the heartbeat
// timeout. A loopback test may use 50-200ms.
func WithTimeouts(heartbeat, election, leaderLease time.Duration) Option {
	return func(o *options) { o.heartbeat, o.election, o.lease = heartbeat, election, leaderLease }
}

// WithSnapshots sets after how many new log entries (checked every
// interval) a snapshot is taken, and how many snapshot files are kept.
// Defaults 8192 entries, 2m, 2 files.
func WithSnapshots(threshold uint64, interval time.Duration, retain int) Option {
	return func(o *options) { o.snapThreshold, o.snapInterval, o.snapRetain = threshold, interval, retain }
}

// WithMaxInboundConns bounds the raft connections accepted at once, in
// total and per remote IP; connections over a bound are closed at once.
// Defaults 64 and 16.
func WithMaxInboundConns(total, perIP int) Option {
	return func(o *options) { o.maxConns, o.maxPerIP = total, perIP }
}

// WithLogger sets the logger, for the Server and for hashicorp/raft.
// Default slog.Default(), with component=cluster/raft and node_id attached.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithErrorHandler receives background errors: failed membership changes,
// bad raft tags in gossip, failed metadata updates. Default: log at Warn.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

func (o *options) validate() error {
	pos := func(name string, d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("%w: %s must be positive, got %v", ErrConfig, name, d)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		d    time.Duration
	}{
		{"stabilization", o.stabilization},
		{"dead server timeout", o.deadTimeout},
		{"reconcile interval", o.reconcile},
		{"heartbeat timeout", o.heartbeat},
		{"election timeout", o.election},
		{"leader lease", o.lease},
		{"snapshot interval", o.snapInterval},
	} {
		if err := pos(c.name, c.d); err != nil {
			return err
		}
	}
	switch {
	case o.heartbeat < 5*time.Millisecond || o.election < 5*time.Millisecond || o.lease < 5*time.Millisecond:
		return fmt.Errorf("%w: raft timeouts must be at least 5ms", ErrConfig)
	case o.lease > o.heartbeat:
		return fmt.Errorf("%w: leader lease %v exceeds heartbeat timeout %v", ErrConfig, o.lease, o.heartbeat)
	case o.expect < 0:
		return fmt.Errorf("%w: bootstrap expect must not be negative, got %d", ErrConfig, o.expect)
	case o.snapThreshold == 0:
		return fmt.Errorf("%w: snapshot threshold must be positive", ErrConfig)
	case o.snapRetain < 1:
		return fmt.Errorf("%w: snapshot retain must be at least 1, got %d", ErrConfig, o.snapRetain)
	case o.maxConns < 1 || o.maxPerIP < 1:
		return fmt.Errorf("%w: inbound connection limits must be positive, got %d and %d", ErrConfig, o.maxConns, o.maxPerIP)
	}
	return nil
}
