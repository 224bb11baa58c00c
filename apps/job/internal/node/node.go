package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/utils/connlimit"
)

// Errors of the package.
var (
	// ErrConfig wraps every invalid option.
	ErrConfig = errors.New("node: invalid config")
	// ErrNotRunning is returned by calls on a Node not started or shut down.
	ErrNotRunning = errors.New("node: not running")
	// ErrNoExecutor means no live member matches the job's tags.
	ErrNoExecutor = errors.New("node: no live member matches the job")
)

// Node is one member of a job cluster: a raft server holding the ledger,
// a scheduler active while it leads, an executor of dispatched runs and
// the HTTP API. All methods are safe for concurrent use.
//
// Lifecycle: New (no I/O), Start, Shutdown. The gossip node must be started
// before Start and outlive Shutdown.
type Node struct {
	g       *gossip.Node
	dataDir string
	o       options
	fsm     *job.FSM
	client  *http.Client

	mu      sync.Mutex
	srv     *raft.Server
	ln      net.Listener
	hs      *http.Server
	addr    string
	stop    chan struct{}
	running bool
	queries map[string]bool      // runs being queried by the leader
	boot    string               // this process's TagBoot
	booted  map[string]string    // run id -> the executor boot it was queried under (rebooted.go)
	refused map[string]time.Time // members whose API refused a dispatch, until when (refused.go)

	exec *executor
	wg   sync.WaitGroup // every goroutine the Node starts
}

// New returns a Node for the gossip member g, storing raft state under
// dataDir. It validates the options, opens nothing and starts nothing.
func New(g *gossip.Node, dataDir string, opts ...Option) (*Node, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case g == nil:
		return nil, fmt.Errorf("%w: nil gossip node", ErrConfig)
	case dataDir == "":
		return nil, fmt.Errorf("%w: empty data dir", ErrConfig)
	case o.tick <= 0 || o.dispatchTimeout <= 0 || o.queryGrace < 0 || o.callTimeout <= 0:
		return nil, fmt.Errorf("%w: durations must be positive", ErrConfig)
	case o.maxRuns <= 0 || o.maxConns <= 0:
		return nil, fmt.Errorf("%w: bounds must be positive", ErrConfig)
	case o.log == nil || o.now == nil:
		return nil, fmt.Errorf("%w: nil logger or clock", ErrConfig)
	}
	for k := range o.tags {
		if k == TagAPI || k == TagBoot || k == raft.TagAddr || k == raft.TagState {
			return nil, fmt.Errorf("%w: tag %q is reserved", ErrConfig, k)
		}
	}
	o.log = o.log.With("component", "apps/job", "node_id", g.LocalNode().ID)
	if o.onErr == nil {
		l := o.log
		o.onErr = func(err error) { l.Warn("job background error", "err", err) }
	}
	n := &Node{g: g, dataDir: dataDir, o: o, fsm: job.NewFSM(), queries: map[string]bool{}, boot: newBoot()}
	n.client = &http.Client{Timeout: o.callTimeout, Transport: &http.Transport{
		MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: o.callTimeout}).DialContext,
	}}
	n.exec = newExecutor(n)
	return n, nil
}

// ID returns this member's id.
func (n *Node) ID() string { return n.g.LocalNode().ID }

// Addr returns the API address other members dial, once started: the bound
// address, with an unspecified host replaced by the gossip member's host.
func (n *Node) Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.addr
}

// Raft returns the raft server once started (nil before).
func (n *Node) Raft() *raft.Server {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.srv
}

// FSM returns the ledger's state machine, for reads.
func (n *Node) FSM() *job.FSM { return n.fsm }

// Start listens for the API, publishes its address and tags in gossip,
// starts the raft server and the scheduler loop.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running || n.stop != nil {
		return fmt.Errorf("%w: already started", ErrConfig)
	}
	addr := n.o.apiAddr
	if addr == "" {
		host, _, err := net.SplitHostPort(n.g.LocalNode().Addr)
		if err != nil || net.ParseIP(host) == nil {
			host = "127.0.0.1"
		}
		addr = net.JoinHostPort(host, "0")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("node: listen: %w", err)
	}
	lim, err := connlimit.New(ln, n.o.maxConns)
	if err != nil {
		ln.Close()
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	n.ln = lim
	n.addr = advertise(ln.Addr().String(), n.g.LocalNode().Addr)
	err = n.g.UpdateMeta(func(meta map[string]string) error {
		maps.Copy(meta, n.o.tags)
		meta[TagAPI] = n.addr
		meta[TagBoot] = n.boot
		return nil
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("node: publish api address: %w", err)
	}
	srv, err := raft.New(n.g, n.fsm, n.dataDir, append([]raft.Option{raft.WithLogger(n.o.log)}, n.o.raftOpts...)...)
	if err != nil {
		ln.Close()
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := srv.Start(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	n.srv = srv
	n.hs = &http.Server{
		Handler:           n.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	n.stop = make(chan struct{})
	n.running = true
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		if err := n.hs.Serve(n.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.o.onErr(fmt.Errorf("node: serve: %w", err))
		}
	}()
	go n.loop(srv, n.stop)
	return nil
}

// Shutdown stops the scheduler, the executor's runs (cancelling their
// actions), the API and the raft server, and waits for every goroutine, or
// for ctx. Shutdown after Shutdown is a no-op.
func (n *Node) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	if !n.running {
		n.mu.Unlock()
		return nil
	}
	n.running = false
	close(n.stop)
	hs, srv := n.hs, n.srv
	n.mu.Unlock()
	n.exec.shutdown()
	err := hs.Shutdown(ctx)
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	}
	n.client.CloseIdleConnections()
	n.exec.idle()
	return errors.Join(err, srv.Shutdown(ctx))
}

// apiOf returns the API address of member id, from gossip.
func (n *Node) apiOf(id string) string {
	for _, m := range n.g.LiveMembers() {
		if m.ID == id {
			return m.Meta[TagAPI]
		}
	}
	return ""
}

// leaderAPI returns the API address of the raft leader this member knows.
func (n *Node) leaderAPI() string {
	srv := n.Raft()
	if srv == nil {
		return ""
	}
	id, _ := srv.Leader()
	if id == "" {
		return ""
	}
	return n.apiOf(id)
}

// advertise returns the address other members dial for a listener bound to
// bound: an unspecified host (0.0.0.0, ::) is replaced by the gossip
// member's host.
func advertise(bound, gossipAddr string) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return bound
	}
	if gh, _, err := net.SplitHostPort(gossipAddr); err == nil && gh != "" {
		return net.JoinHostPort(gh, port)
	}
	return bound
}
