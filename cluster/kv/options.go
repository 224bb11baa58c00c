package kv

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// MetaKey is the member metadata key under which a KV advertises its RPC
// address.
const MetaKey = "kv.rpc"

type options struct {
	cfg          Config
	syncInterval time.Duration
	gcInterval   time.Duration
	listen       string
	advertise    string
	serverTLS    *tls.Config
	clientTLS    *tls.Config
	physical     func() time.Time
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
	seed         uint64
	log          *slog.Logger
	onError      func(error)

	meterProvider metric.MeterProvider
}

// Option configures a KV.
type Option func(*options)

// WithConfig sets the store's limits and grace period (see Config).
func WithConfig(c Config) Option { return func(o *options) { o.cfg = c } }

// WithSyncInterval sets the time between anti-entropy exchanges with a
// random peer (jittered by up to a quarter). Default 5s.
func WithSyncInterval(d time.Duration) Option { return func(o *options) { o.syncInterval = d } }

// WithGCInterval sets how often tombstones older than the grace period
// are collected. Default a tenth of Config.Grace, at least 1s.
func WithGCInterval(d time.Duration) Option { return func(o *options) { o.gcInterval = d } }

// WithListenAddr sets the RPC listener's address. Default: the host of
// the node's address with port 0, or 127.0.0.1:0 when that host is not an
// IP address (in-memory networks).
func WithListenAddr(addr string) Option { return func(o *options) { o.listen = addr } }

// WithAdvertiseAddr sets the RPC address other members are told to use.
// Default: the listener's address.
func WithAdvertiseAddr(addr string) Option { return func(o *options) { o.advertise = addr } }

// WithTLS secures the RPC channel: server for the listener, client for
// calls to peers. Default plain TCP (unauthenticated).
func WithTLS(server, client *tls.Config) Option {
	return func(o *options) { o.serverTLS, o.clientTLS = server, client }
}

// WithDialer sets how the KV connects to peers' RPC listeners (for
// proxies, or fault injection in tests). Default a net.Dialer.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithPhysicalClock sets the physical clock of the KV's hybrid logical
// clock. Default time.Now.
func WithPhysicalClock(now func() time.Time) Option { return func(o *options) { o.physical = now } }

// WithSeed seeds the choice of anti-entropy peers. Default: random.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithLogger sets the logger. Default slog.Default() with
// component=cluster/kv.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithErrorHandler receives background errors (failed exchanges, refused
// remote entries). Default: log at Debug.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }
