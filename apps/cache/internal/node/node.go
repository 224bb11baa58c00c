package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/utils/clock"
	"github.com/libgossip/libgossip/utils/connlimit"
	"github.com/libgossip/libgossip/utils/ratelimit"
	"golang.org/x/time/rate"
)

// Metadata keys a cache member publishes in gossip.
const (
	MetaPeer = "cache"      // internal address
	MetaRESP = "cache.resp" // Redis protocol address
	MetaHTTP = "cache.http" // HTTP address, if any
	MetaBoot = "cache.boot" // random per process start
)

// Node is one cache member. Its methods are safe for concurrent use.
type Node struct {
	cfg    Config
	log    *slog.Logger
	store  *store.Store
	hlc    *clock.HLC
	clock  *batchClock // the HLC's physical clock
	self   string
	selfH  uint64
	boot   string
	gossip *gossip.Node
	pool   *peer.Pool
	fwd    forwarder // merges concurrent forwards to one member
	psrv   *peer.Server
	rsrv   *resp.Server
	hsrv   *http.Server
	limit  *ratelimit.Keyed
	hints  *hints
	locks  [256]sync.Mutex

	peerLn, respLn, httpLn net.Listener
	peerAddr, respAddr     string

	view    atomic.Pointer[view]
	viewMu  sync.Mutex    // serializes refreshView
	kick    chan struct{} // a membership change: rebalance
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	started time.Time

	m metrics

	// onExecBatch, when set (by tests), runs as a forwarded batch
	// arrives, before it is served.
	onExecBatch atomic.Pointer[func()]
	// fanOutBudget, when positive (set by tests), replaces fanOutBytes
	// as the budget of a pipeline's fan-out.
	fanOutBudget atomic.Int64
	// onFanOutRound, when set (by tests), runs after each round of a
	// pipeline's fan-out, once its replies are written out, with the
	// bytes of replies the fan-out still holds.
	onFanOutRound atomic.Pointer[func(held int)]
}

// New validates cfg and builds a node; Start opens its sockets.
func New(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := store.New(store.Config{MaxBytes: cfg.MaxBytes})
	if err != nil {
		return nil, err
	}
	bc := new(batchClock)
	bc.touch()
	h, err := clock.New(clock.Config{Physical: bc.physical})
	if err != nil {
		return nil, err
	}
	lim, err := ratelimit.New(rate.Limit(cfg.RebalanceRate), rebalanceBatch)
	if err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := &Node{cfg: cfg, store: st, hlc: h, clock: bc, limit: lim, boot: hex.EncodeToString(b[:]),
		kick: make(chan struct{}, 1), hints: newHints(cfg.MaxHints)}
	n.ctx, n.stop = context.WithCancel(context.Background())
	return n, nil
}

func advertised(ln net.Listener, host string) string {
	a := ln.Addr().(*net.TCPAddr)
	if host == "" {
		if a.IP.IsUnspecified() {
			host = "127.0.0.1"
		} else {
			host = a.IP.String()
		}
	}
	return net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// Start opens the listeners, starts gossip and joins the seeds (bounded
// by ctx). On error everything opened is closed again.
func (n *Node) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = n.Shutdown(context.Background())
		}
	}()
	n.started = time.Now()
	if n.peerLn, err = net.Listen("tcp", n.cfg.PeerAddr); err != nil {
		return fmt.Errorf("node: internal listener: %w", err)
	}
	if n.respLn, err = net.Listen("tcp", n.cfg.RESPAddr); err != nil {
		return fmt.Errorf("node: RESP listener: %w", err)
	}
	if n.cfg.Advertise != "" {
		// A name (a container's host name) is resolved once: members
		// publish addresses, not names.
		ips, err := net.DefaultResolver.LookupHost(ctx, n.cfg.Advertise)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("node: advertise host %q: %w", n.cfg.Advertise, err)
		}
		n.cfg.Advertise = ips[0]
	}
	n.peerAddr = advertised(n.peerLn, n.cfg.Advertise)
	n.respAddr = advertised(n.respLn, n.cfg.Advertise)
	meta := map[string]string{MetaPeer: n.peerAddr, MetaRESP: n.respAddr, MetaBoot: n.boot}
	if n.cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("node: HTTP listener: %w", err)
		}
		lim, err := connlimit.New(ln, n.cfg.HTTPMaxConns)
		if err != nil {
			ln.Close()
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
		n.httpLn = lim
		meta[MetaHTTP] = advertised(n.httpLn, n.cfg.Advertise)
	}
	gcfg, err := gossip.Preset(n.cfg.Preset)
	if err != nil {
		return err
	}
	tr, err := lgnet.New("hybrid://"+n.cfg.GossipAddr, lgnet.WithLogger(n.cfg.Logger))
	if err != nil {
		return err
	}
	if n.cfg.Advertise != "" {
		_, port, err := net.SplitHostPort(n.cfg.GossipAddr)
		if err != nil {
			return fmt.Errorf("node: gossip address: %w", err)
		}
		if port != "0" {
			gcfg.Addr = net.JoinHostPort(n.cfg.Advertise, port)
		}
	}
	gcfg.ID = n.cfg.ID
	if gcfg.ID == "" {
		gcfg.ID = "cache-" + n.peerAddr
	}
	gcfg.Meta = meta
	n.self = gcfg.ID
	n.selfH = xxhash.Sum64String(n.self)
	n.log = n.cfg.Logger.With("component", "cache", "node_id", n.self)
	if n.gossip, err = gossip.New(gcfg, tr, gossip.WithLogger(n.cfg.Logger)); err != nil {
		return err
	}
	if err = n.gossip.Start(ctx); err != nil {
		return err
	}
	n.pool = peer.NewPool(peer.PoolConfig{ID: n.self, Secret: []byte(n.cfg.Secret), MaxFrame: peerMaxFrame(n.cfg),
		CallTimeout: n.cfg.RequestTimeout})
	n.psrv = peer.NewServer([]byte(n.cfg.Secret), n.isMember, n, peer.Limits{MaxFrame: peerMaxFrame(n.cfg)}, n.log)
	n.psrv.Serve(n.peerLn)
	n.refreshView()
	n.rsrv = resp.NewServer(n, n.cfg.Limits, n.log)
	n.rsrv.Serve(n.respLn)
	if n.httpLn != nil {
		n.hsrv = &http.Server{Handler: n.httpHandler(),
			ReadHeaderTimeout: min(10*time.Second, n.cfg.HTTPTimeout), ReadTimeout: n.cfg.HTTPTimeout,
			WriteTimeout: n.cfg.HTTPTimeout, IdleTimeout: 2 * n.cfg.HTTPTimeout}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			_ = n.hsrv.Serve(n.httpLn)
		}()
	}
	n.wg.Add(3)
	go n.watchMembers()
	go n.rebalanceLoop()
	go n.hintLoop()
	if len(n.cfg.Seeds) > 0 {
		if err = n.gossip.Join(ctx, n.cfg.Seeds...); err != nil {
			return err
		}
		n.refreshView()
	}
	n.log.Info("cache node started", "resp_addr", n.respAddr, "peer_addr", n.peerAddr)
	return nil
}

// peerMaxFrame bounds internal frames: a forwarded command, or a batch of
// entries (rebalanceBatch small ones, or one of at most MaxBulk).
func peerMaxFrame(c Config) int {
	return 2*c.Limits.MaxQuery + 1<<20
}

// Leave announces a graceful departure (bounded by ctx); the node keeps
// serving until Shutdown.
func (n *Node) Leave(ctx context.Context) error {
	if n.gossip == nil {
		return nil
	}
	return n.gossip.Leave(ctx)
}

// Shutdown closes the listeners and connections, stops gossip and waits
// for the node's goroutines (bounded by ctx).
func (n *Node) Shutdown(ctx context.Context) error {
	n.stop()
	var errs []error
	if n.rsrv != nil {
		errs = append(errs, n.rsrv.Close())
	} else if n.respLn != nil {
		_ = n.respLn.Close()
	}
	if n.hsrv != nil {
		errs = append(errs, n.hsrv.Close())
	} else if n.httpLn != nil {
		_ = n.httpLn.Close()
	}
	if n.psrv != nil {
		errs = append(errs, n.psrv.Close())
	} else if n.peerLn != nil {
		_ = n.peerLn.Close()
	}
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	if n.pool != nil {
		errs = append(errs, n.pool.Close())
	}
	if n.gossip != nil {
		errs = append(errs, n.gossip.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// ID returns the member id (after Start).
func (n *Node) ID() string { return n.self }

// RESPAddr returns the address Redis clients connect to (after Start).
func (n *Node) RESPAddr() string { return n.respAddr }

// PeerAddr returns the internal address (after Start).
func (n *Node) PeerAddr() string { return n.peerAddr }

// GossipAddr returns the gossip address to give as a seed (after Start).
func (n *Node) GossipAddr() string { return n.gossip.LocalNode().Addr }

// HTTPAddr returns the HTTP address, or "" without HTTP (after Start).
func (n *Node) HTTPAddr() string {
	if n.httpLn == nil {
		return ""
	}
	return n.httpLn.Addr().String()
}

// Members returns the ids of the members the ring is built on, sorted.
func (n *Node) Members() []string { return n.view.Load().ids }

// Store returns the node's local store (for inspection and tests).
func (n *Node) Store() *store.Store { return n.store }

// lock returns the lock that serializes read-modify-write commands on key.
func (n *Node) lock(key []byte) *sync.Mutex {
	return &n.locks[xxhash.Sum64(key)%uint64(len(n.locks))]
}

func (n *Node) version() store.Version {
	return store.Version{TS: n.hlc.Now(), Node: n.selfH}
}
