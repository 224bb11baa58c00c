package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/bootstrap"
	"github.com/libgossip/libgossip/cluster/election"
	"github.com/libgossip/libgossip/cluster/kv"
	"github.com/libgossip/libgossip/cluster/query"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/monitoring"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
)

// Agent is one running member: a gossip node with its transport, bootstrap,
// replicated KV, queries, a leader election, telemetry, event handler
// scripts and the HTTP API. Methods are safe for concurrent use.
type Agent struct {
	cfgMu sync.Mutex
	cfg   Config

	level  *slog.LevelVar
	log    *slog.Logger
	broker *broker

	keyring *security.Keyring
	tr      *lgnet.Transport
	node    *gossip.Node
	boot    *bootstrap.Bootstrapper
	kv      *kv.KV
	query   *query.Querier
	elect   *election.Election
	tel     *monitoring.Telemetry
	mon     *monitoring.Monitor
	dash    *monitoring.Dashboard
	health  *monitoring.Health
	runner  *runner
	api     *apiServer

	forced forcedSet

	sub    *gossip.Subscription
	wg     sync.WaitGroup
	left   chan struct{} // closed by a leave through the API
	leftMu sync.Once
}

// New validates cfg and builds an agent; Start runs it. logw receives the
// agent's logs.
func New(cfg Config, logw io.Writer) (*Agent, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, level: new(slog.LevelVar), broker: newBroker(), left: make(chan struct{}), forced: forcedSet{}}
	lv, err := monitoring.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("%w: log_level: %w", ErrConfig, err)
	}
	a.level.Set(lv)
	base, err := monitoring.NewLogger(logw, monitoring.LogConfig{Level: slog.LevelDebug, Format: monitoring.LogFormat(cfg.LogFormat), MemberID: cfg.NodeName})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	a.log = slog.New(&logHandler{inner: base.Handler(), level: a.level, b: a.broker})
	return a, nil
}

// Logger returns the agent's logger.
func (a *Agent) Logger() *slog.Logger { return a.log }

// Start binds the gossip transport and the HTTP API, starts the services and
// begins joining the seeds (in the background: the agent runs before the
// cluster is reachable). On error everything started is stopped.
func (a *Agent) Start(ctx context.Context) (err error) {
	cfg := a.cfg
	defer func() {
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = a.Shutdown(sctx)
		}
	}()
	var trOpts []lgnet.Option
	trOpts = append(trOpts, lgnet.WithLogger(a.log))
	if cfg.Advertise != "" {
		trOpts = append(trOpts, lgnet.WithAdvertise(cfg.Advertise))
	}
	if cfg.KeyFile != "" {
		keys, err := readKeyFile(cfg.KeyFile)
		if err != nil {
			return err
		}
		if a.keyring, err = security.NewKeyring(keys[0], keys[1:]...); err != nil {
			return fmt.Errorf("%w: key_file: %w", ErrConfig, err)
		}
		trOpts = append(trOpts, lgnet.WithKeyring(a.keyring))
	}
	if cfg.Label != "" {
		trOpts = append(trOpts, lgnet.WithLabel(cfg.Label))
	}
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		if tlsCfg, err = loadTLS(cfg); err != nil {
			return err
		}
		trOpts = append(trOpts, lgnet.WithTLS(tlsCfg))
	}
	if a.tr, err = lgnet.New("hybrid://"+cfg.Bind, trOpts...); err != nil {
		return fmt.Errorf("%w: bind: %w", ErrConfig, err)
	}
	gcfg, err := gossip.Preset(cfg.Preset)
	if err != nil {
		return fmt.Errorf("%w: preset: %w", ErrConfig, err)
	}
	gcfg.ID = cfg.NodeName
	gcfg.Meta = maps.Clone(cfg.Tags)
	if a.node, err = gossip.New(gcfg, a.tr, gossip.WithLogger(a.log)); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	a.sub = a.node.Subscribe(4096)
	if err = a.node.Start(ctx); err != nil {
		return err
	}
	kvOpts := []kv.Option{kv.WithLogger(a.log)}
	qOpts := []query.Option{query.WithLogger(a.log)}
	if tlsCfg != nil {
		kvOpts = append(kvOpts, kv.WithTLS(tlsCfg, tlsCfg.Clone()))
		qOpts = append(qOpts, query.WithTLS(tlsCfg, tlsCfg.Clone()))
	}
	if a.kv, err = kv.New(a.node, kvOpts...); err != nil {
		return err
	}
	if err = a.kv.Start(ctx); err != nil {
		return err
	}
	if a.query, err = query.New(a.node, qOpts...); err != nil {
		return err
	}
	a.registerQueries()
	if err = a.query.Start(ctx); err != nil {
		return err
	}
	eopts := []election.Option{election.WithLogger(a.log), election.WithRank(cfg.Rank)}
	if cfg.Observer {
		eopts = append(eopts, election.AsObserver())
	}
	if a.elect, err = election.New(a.node, cfg.Election, eopts...); err != nil {
		return fmt.Errorf("%w: election: %w", ErrConfig, err)
	}
	if err = a.elect.Start(ctx); err != nil {
		return err
	}
	var tel *monitoring.Telemetry
	if tel, _, err = monitoring.Setup(ctx, monitoring.Config{Prometheus: true, MemberID: cfg.NodeName, ServiceName: "libgossip-agent"}); err != nil {
		return err
	}
	a.tel = tel
	if a.mon, err = monitoring.Instrument(a.node, monitoring.WithMeterProvider(tel.MeterProvider),
		monitoring.WithTracerProvider(tel.TracerProvider), monitoring.WithTransport(a.tr), monitoring.WithLogger(a.log)); err != nil {
		return err
	}
	if a.dash, err = monitoring.NewDashboard([]*monitoring.Monitor{a.mon}, monitoring.WithTitle("libgossip agent "+cfg.NodeName),
		monitoring.WithMaxStreams(cfg.HTTPStreams)); err != nil {
		return err
	}
	bopts := []bootstrap.Option{bootstrap.WithLogger(a.log), bootstrap.WithSeeds(cfg.Seeds...),
		bootstrap.WithRejoin(time.Duration(cfg.Rejoin), 3), bootstrap.WithExpect(cfg.Expect)}
	if cfg.Snapshot != "" {
		bopts = append(bopts, bootstrap.WithSnapshot(cfg.Snapshot))
	}
	if a.boot, err = bootstrap.New(a.node, bopts...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	a.health = monitoring.NewHealth(a.node, monitoring.WithMinMembers(cfg.Expect),
		monitoring.WithCheck("bootstrap", monitoring.ReadyWhen("bootstrap", a.boot.Ready())))
	a.runner = newRunner(cfg, a.self, a.log)
	a.wg.Go(a.pump)
	if err = a.boot.Start(ctx); err != nil {
		return err
	}
	if a.api, err = newAPIServer(a, cfg); err != nil {
		return err
	}
	a.log.Info("agent started", "gossip", a.node.LocalNode().Addr, "http", a.api.addr())
	return nil
}

// pump turns node events into agent events for streams and handlers.
func (a *Agent) pump() {
	for ev := range a.sub.C {
		e, ok := convert(ev)
		if !ok {
			continue
		}
		if e.Type == KindJoin && e.Member != nil {
			a.forced.clear(e.Member.Name)
		}
		a.broker.publish(e)
		a.runner.submit(e)
	}
}

func (a *Agent) self() Member { return memberOf(a.node.LocalNode()) }

// Node returns the agent's gossip node (nil before Start).
func (a *Agent) Node() *gossip.Node { return a.node }

// HTTPAddr returns the address the HTTP API listens on.
func (a *Agent) HTTPAddr() string {
	if a.api == nil {
		return ""
	}
	return a.api.addr()
}

// Left is closed when a client asked the agent to leave through the API.
func (a *Agent) Left() <-chan struct{} { return a.left }

// Leave announces this member's departure (within the leave timeout).
func (a *Agent) Leave(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.cfg.LeaveTimeout))
	defer cancel()
	return a.node.Leave(ctx)
}

// LeaveOnTerminate reports whether SIGTERM should leave gracefully.
func (a *Agent) LeaveOnTerminate() bool { return *a.cfg.LeaveOnTerm }

// Shutdown stops everything Start started, in reverse order, and waits for
// the agent's goroutines.
func (a *Agent) Shutdown(ctx context.Context) error {
	var errs []error
	if a.api != nil {
		errs = append(errs, a.api.shutdown(ctx))
	}
	if a.dash != nil {
		a.dash.Close()
	}
	if a.boot != nil {
		errs = append(errs, a.boot.Shutdown(ctx))
	}
	if a.mon != nil {
		errs = append(errs, a.mon.Close())
	}
	if a.tel != nil {
		errs = append(errs, a.tel.Shutdown(ctx))
	}
	if a.elect != nil {
		errs = append(errs, a.elect.Shutdown(ctx))
	}
	if a.query != nil {
		errs = append(errs, a.query.Shutdown(ctx))
	}
	if a.kv != nil {
		errs = append(errs, a.kv.Shutdown(ctx))
	}
	if a.node != nil {
		if err := a.node.Shutdown(ctx); err != nil && !errors.Is(err, gossip.ErrNotRunning) {
			errs = append(errs, err)
		}
	}
	if a.sub != nil {
		a.sub.Close()
	}
	a.wg.Wait()
	if a.runner != nil {
		a.runner.close()
	}
	return errors.Join(errs...)
}

func readKeyFile(path string) ([]security.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: key_file: %w", ErrConfig, err)
	}
	var keys []security.Key
	for line := range strings.SplitSeq(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := security.ParseKey(line)
		if err != nil {
			return nil, fmt.Errorf("%w: key_file: %w", ErrConfig, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: key_file %s holds no key", ErrConfig, path)
	}
	return keys, nil
}

func loadTLS(cfg Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("%w: tls: %w", ErrConfig, err)
	}
	pem, err := os.ReadFile(cfg.TLSCA)
	if err != nil {
		return nil, fmt.Errorf("%w: tls_ca: %w", ErrConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: tls_ca: no certificate", ErrConfig)
	}
	return security.MutualTLS(cert, pool), nil
}
