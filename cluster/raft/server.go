package raft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/libgossip/libgossip/cluster/internal/membermeta"
	"github.com/libgossip/libgossip/gossip"
)

// Server is one raft server on a gossip member. Gossip decides who the
// servers are; raft decides what was written. All methods are safe for
// concurrent use.
//
// Lifecycle: New (validates, no I/O), Start (opens the stores, listens,
// starts raft and the reconcile loop), then Shutdown. The gossip Node must
// be started before Start and outlive Shutdown.
type Server struct {
	node    *gossip.Node
	fsm     FSM
	dataDir string
	o       options
	id      string
	log     *slog.Logger
	hconf   *hraft.Config

	mu       sync.Mutex
	state    int // 0 new, 1 running, 2 stopped
	r        *hraft.Raft
	store    *raftboltdb.BoltStore
	snaps    *hraft.FileSnapshotStore
	stream   *streamLayer
	addr     string
	existing bool // published TagState

	leaderCh chan bool
	kick     chan struct{}
	stop     chan struct{}
	wg       sync.WaitGroup // reconcile and leadership goroutines
	calls    sync.WaitGroup // goroutines waiting on raft futures

	tel *telemetry
}

// New validates the options and returns a Server that will store its
// raft log, stable state and snapshots under dataDir and run fsm. It opens
// nothing and starts no goroutine. Errors wrap ErrConfig.
func New(node *gossip.Node, fsm FSM, dataDir string, opts ...Option) (*Server, error) {
	if node == nil {
		return nil, fmt.Errorf("%w: nil gossip node", ErrConfig)
	}
	if fsm == nil {
		return nil, fmt.Errorf("%w: nil FSM", ErrConfig)
	}
	if dataDir == "" {
		return nil, fmt.Errorf("%w: empty data directory", ErrConfig)
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	id := node.LocalNode().ID
	if o.log == nil {
		o.log = slog.Default()
	}
	log := o.log.With("component", "cluster/raft", "node_id", id)
	if o.onError == nil {
		o.onError = func(err error) { log.Warn("raft background error", "err", err) }
	}
	c := hraft.DefaultConfig()
	c.LocalID = hraft.ServerID(id)
	c.HeartbeatTimeout = o.heartbeat
	c.ElectionTimeout = o.election
	c.LeaderLeaseTimeout = o.lease
	c.CommitTimeout = min(c.CommitTimeout, o.heartbeat/2)
	c.SnapshotThreshold = o.snapThreshold
	c.SnapshotInterval = o.snapInterval
	c.ShutdownOnRemove = false
	c.Logger = newHCLog(log)
	if err := hraft.ValidateConfig(c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s := &Server{node: node, fsm: fsm, dataDir: dataDir, o: o, id: id, log: log, hconf: c,
		leaderCh: make(chan bool, 1), kick: make(chan struct{}, 1), stop: make(chan struct{})}
	var err error
	if s.tel, err = newTelemetry(o, s); err != nil {
		return nil, fmt.Errorf("raft: instruments: %w", err)
	}
	return s, nil
}

// Start opens the stores under the data directory, listens for raft on its
// own TCP port, starts raft and publishes this server's raft address in
// the gossip member's metadata. It does not wait for a leader. The gossip
// Node must be running.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != 0 {
		return ErrStarted
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	local := s.node.LocalNode()
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("raft: data directory: %w", err)
	}
	store, err := raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(s.dataDir, "raft.db"),
		BoltOptions: &bbolt.Options{Timeout: time.Second},
	})
	if err != nil {
		return fmt.Errorf("raft: open log store: %w", err)
	}
	snaps, err := hraft.NewFileSnapshotStoreWithLogger(s.dataDir, s.o.snapRetain, s.hconf.Logger)
	if err != nil {
		store.Close()
		return fmt.Errorf("raft: open snapshot store: %w", err)
	}
	bind := s.o.bindAddr
	gossipHost := ""
	if h, _, err := net.SplitHostPort(local.Addr); err == nil {
		gossipHost = h
	}
	if bind == "" {
		bind = net.JoinHostPort(gossipHost, "0")
		if gossipHost == "" {
			bind = "127.0.0.1:0"
		}
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		store.Close()
		return fmt.Errorf("raft: listen: %w", err)
	}
	adv := s.o.advertiseAddr
	if adv == "" {
		tcp := ln.Addr().(*net.TCPAddr)
		host := tcp.IP.String()
		if tcp.IP.IsUnspecified() && gossipHost != "" {
			host = gossipHost
		}
		adv = net.JoinHostPort(host, fmt.Sprint(tcp.Port))
	}
	advAddr, err := net.ResolveTCPAddr("tcp", adv)
	if err != nil {
		ln.Close()
		store.Close()
		return fmt.Errorf("%w: advertise address %q: %w", ErrConfig, adv, err)
	}
	stream := newStreamLayer(ln, advAddr, s.o.maxConns, s.o.maxPerIP)
	trans := hraft.NewNetworkTransportWithConfig(&hraft.NetworkTransportConfig{
		Stream: stream, MaxPool: 3, Timeout: 10 * time.Second, Logger: s.hconf.Logger,
	})
	fail := func(err error) error {
		_ = trans.Close()
		stream.closeAll()
		<-stream.handlersDone()
		store.Close()
		return err
	}
	existing, err := hraft.HasExistingState(store, store, snaps)
	if err != nil {
		return fail(fmt.Errorf("raft: read state: %w", err))
	}
	r, err := hraft.NewRaft(s.hconf, fsmAdapter{s.fsm}, store, store, snaps, trans)
	if err != nil {
		return fail(fmt.Errorf("raft: start: %w", err))
	}
	s.r, s.store, s.snaps, s.stream, s.addr, s.existing = r, store, snaps, stream, adv, existing
	if err := s.publishTag(); err != nil {
		_ = r.Shutdown().Error()
		s.r = nil
		return fail(err)
	}
	sub := s.node.Subscribe(64)
	s.state = 1
	s.wg.Add(2)
	go s.run(sub)
	go s.watchLeadership(r)
	s.log.Info("raft server started", "raft_addr", adv, "existing_state", existing, "bootstrap_expect", s.o.expect)
	return nil
}

// publishTag sets this server's raft tags in the member's metadata, the
// state first so that a reader never sees an address without one.
func (s *Server) publishTag() error {
	if err := membermeta.Set(s.node, TagState, stateValue(s.existing)); err != nil {
		return fmt.Errorf("raft: publish tag: %w", err)
	}
	if err := membermeta.Set(s.node, TagAddr, s.addr); err != nil {
		return fmt.Errorf("raft: publish tag: %w", err)
	}
	return nil
}

// Shutdown refuses new calls, lets those in flight finish (each within a
// commit or a leader lease), then stops the reconcile loop, raft and every
// connection, closes the stores and the leadership channel, and waits for
// all of it, or for ctx.
// It removes this server's raft tags from the member's metadata while the
// gossip Node still runs, so that the leader treats it as gone. Shutdown
// does not leave the raft configuration. Shutdown after Shutdown is a no-op.
func (s *Server) Shutdown(ctx context.Context) error {
	_ = s.tel.reg.Unregister()
	s.mu.Lock()
	if s.state != 1 {
		s.state = 2
		s.mu.Unlock()
		return nil
	}
	s.state = 2
	r := s.r
	s.mu.Unlock()
	close(s.stop)

	done := make(chan error, 1)
	go func() {
		// Let our goroutines and the calls in flight finish while raft
		// still runs: each ends within a commit or a leader lease. Raft
		// itself, once shut down, drops the replies of commands already
		// queued for its FSM, which would leave their callers waiting.
		s.wg.Wait()
		s.calls.Wait()
		fut := r.Shutdown()
		// Close every connection first: an RPC in flight (to a peer that
		// stopped reading, or a stale address someone else now listens on)
		// would otherwise hold raft's shutdown for the transport timeout.
		s.stream.closeAll()
		err := fut.Error() // waits for raft's goroutines, closes the transport
		// Raft answers heartbeats on the transport's connection
		// goroutines, which its shutdown does not wait for: one that
		// passed raft's shutdown check before it may still be storing a
		// new term, and raft panics if the store is closed under it.
		<-s.stream.handlersDone()
		if cerr := s.store.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		close(s.leaderCh)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	// The node may be shut down already; then there is nothing to withdraw.
	_ = membermeta.Set(s.node, TagAddr, "")
	_ = membermeta.Set(s.node, TagState, "")
	s.log.Info("raft server stopped")
	return err
}

// running returns raft while the server runs.
func (s *Server) running() (*hraft.Raft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != 1 {
		return nil, ErrNotRunning
	}
	return s.r, nil
}

// ID returns this server's id: its gossip member id.
func (s *Server) ID() string { return s.id }

// Addr returns the raft address other servers dial, once started.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}
