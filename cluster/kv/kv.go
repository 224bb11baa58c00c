package kv

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/internal/membermeta"
	"github.com/libgossip/libgossip/cluster/internal/rpc"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/utils/clock"
)

// broadcastPrefix marks the kv's gossip broadcasts among user broadcasts.
var broadcastPrefix = []byte("\x00lgc/kv\x01")

// maxBroadcast is the largest entry encoding spread by gossip broadcast;
// larger entries reach peers through immediate anti-entropy exchanges.
const maxBroadcast = 1024

// KV is the replicated store of one member: a Store driven over a
// gossip.Node. All methods are safe for concurrent use; Get, List and
// Watch never block on the network, Put and Delete only on the local lock.
//
// Lifecycle: New (no goroutines, no sockets), Start, Shutdown.
type KV struct {
	node *gossip.Node
	opts options
	id   string

	mu       sync.Mutex
	store    *Store
	hlc      *clock.HLC
	rng      *rand.Rand
	watchers map[*Watcher]struct{}
	state    int // 0 new, 1 running, 2 stopped

	srv  *rpc.Server
	cli  *rpc.Client
	sub  *gossip.Subscription
	kick chan struct{}
	stop chan struct{}
	// ctx ends at Shutdown and bounds every exchange in flight.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	ins *instruments
}

// New returns a KV for node, which the caller starts (and shuts down)
// separately. It validates the options and opens nothing.
func New(node *gossip.Node, opts ...Option) (*KV, error) {
	if node == nil {
		return nil, fmt.Errorf("%w: nil node", ErrConfig)
	}
	o := options{syncInterval: 5 * time.Second, physical: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	st, err := NewStore(o.cfg)
	if err != nil {
		return nil, err
	}
	o.cfg = st.Config()
	if o.gcInterval == 0 {
		o.gcInterval = max(time.Second, o.cfg.Grace/10)
	}
	if o.syncInterval <= 0 || o.gcInterval <= 0 {
		return nil, fmt.Errorf("%w: sync interval %v and gc interval %v must be positive", ErrConfig, o.syncInterval, o.gcInterval)
	}
	if o.seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		o.seed = binary.LittleEndian.Uint64(b[:])
	}
	if o.log == nil {
		o.log = defaultLogger()
	}
	o.log = o.log.With("component", "cluster/kv", "node_id", node.LocalNode().ID)
	if o.onError == nil {
		log := o.log
		o.onError = func(err error) { log.Debug("kv background error", "err", err) }
	}
	h, err := clock.New(clock.Config{Physical: o.physical, MaxSkew: time.Hour})
	if err != nil {
		return nil, err
	}
	frame := rpc.WithMaxFrame(2*o.cfg.MaxTotalSize + 64<<10)
	cli, err := rpc.NewClient(frame, rpc.WithTLS(o.clientTLS), rpc.WithDialer(o.dial))
	if err != nil {
		return nil, err
	}
	k := &KV{
		node: node, opts: o, id: node.LocalNode().ID,
		store: st, hlc: h, rng: rand.New(rand.NewPCG(o.seed, 0x6b76)),
		watchers: map[*Watcher]struct{}{}, cli: cli,
		kick: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	k.srv, err = rpc.NewServer(k.serve, frame, rpc.WithTLS(o.serverTLS))
	if err != nil {
		return nil, err
	}
	if k.ins, err = newInstruments(o.meterProvider, k); err != nil {
		return nil, fmt.Errorf("kv: instruments: %w", err)
	}
	return k, nil
}

// Start opens the RPC listener, advertises it in the node's metadata
// under MetaKey, and starts the background loop (broadcasts, exchanges,
// collection). The node must be started. It does not block.
func (k *KV) Start(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.state != 0 {
		return fmt.Errorf("%w: already started", ErrNotRunning)
	}
	k.id = k.node.LocalNode().ID
	listen := k.opts.listen
	if listen == "" {
		listen = "127.0.0.1:0"
		if host, _, err := net.SplitHostPort(k.node.LocalNode().Addr); err == nil && net.ParseIP(host) != nil {
			listen = net.JoinHostPort(host, "0")
		}
	}
	if err := k.srv.Start(ctx, listen); err != nil {
		return err
	}
	adv := k.opts.advertise
	if adv == "" {
		adv = k.srv.Addr()
	}
	if err := membermeta.Set(k.node, MetaKey, adv); err != nil {
		_ = k.srv.Shutdown(ctx)
		return fmt.Errorf("kv: advertise: %w", err)
	}
	k.sub = k.node.Subscribe(4096)
	k.ctx, k.cancel = context.WithCancel(context.Background())
	k.state = 1
	k.wg.Add(1)
	go k.loop()
	k.kick <- struct{}{} // first exchange right away: catch up
	return nil
}

// Shutdown stops the loop and the listener, closes every watcher, and
// waits for the KV's goroutines or the end of ctx. It leaves the node
// running (and the metadata key in place).
func (k *KV) Shutdown(ctx context.Context) error {
	_ = k.ins.reg.Unregister()
	k.mu.Lock()
	if k.state != 1 {
		k.state = 2
		k.mu.Unlock()
		return nil
	}
	k.state = 2
	ws := k.watchers
	k.watchers = map[*Watcher]struct{}{}
	k.mu.Unlock()
	close(k.stop)
	k.cancel()
	k.sub.Close()
	err := k.srv.Shutdown(ctx)
	done := make(chan struct{})
	go func() { k.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	for w := range ws {
		w.close()
	}
	return err
}

// Get returns the value of key and its version, or ok false when the key
// does not exist (or is deleted). The value is the caller's.
func (k *KV) Get(key string) (value []byte, version clock.Timestamp, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.store.Get(key)
	return bytes.Clone(e.Value), e.Version, ok
}

// List returns the live entries whose key starts with prefix, sorted by
// key. The caller owns the slice and the values.
func (k *KV) List(prefix string) []Entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	es := k.store.List(prefix)
	for i := range es {
		es[i].Value = bytes.Clone(es[i].Value)
	}
	return es
}

// Put sets key to value and returns the write's version. It fails with
// an error wrapping ErrKeyTooLarge, ErrValueTooLarge or ErrFull (nothing
// changed), or ErrNotRunning.
func (k *KV) Put(key string, value []byte) (clock.Timestamp, error) {
	return k.write(key, value, false)
}

// Delete removes key (writing a tombstone) and returns the write's
// version. Deleting a missing key still writes a tombstone, so that a
// concurrent older put elsewhere loses.
func (k *KV) Delete(key string) (clock.Timestamp, error) {
	return k.write(key, nil, true)
}

func (k *KV) write(key string, value []byte, del bool) (clock.Timestamp, error) {
	k.mu.Lock()
	if k.state != 1 {
		k.mu.Unlock()
		return clock.Timestamp{}, ErrNotRunning
	}
	e := Entry{Key: key, Value: bytes.Clone(value), Version: k.hlc.Now(), Origin: k.id, Deleted: del}
	if len(e.Value) == 0 {
		e.Value = nil
	}
	err := k.store.Write(e)
	k.publishLocked()
	k.mu.Unlock()
	if err != nil {
		return clock.Timestamp{}, err
	}
	k.spread(e)
	return e.Version, nil
}

// spread sends a local write on: small entries by gossip broadcast,
// larger ones by an immediate exchange.
func (k *KV) spread(e Entry) {
	enc := EncodeEntries(clock.Timestamp{}, []Entry{e})
	if len(enc) <= maxBroadcast {
		if err := k.node.Broadcast(append(bytes.Clone(broadcastPrefix), enc...)); err == nil {
			return
		}
	}
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// Hash returns the fingerprint of this member's whole store (see
// Store.Hash): equal on two members when they hold the same entries.
func (k *KV) Hash() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.store.Hash()
}

// Stats returns the store's counters.
func (k *KV) Stats() Stats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.store.Stats()
}

// Addr returns the RPC address this KV advertises, or "" before Start.
func (k *KV) Addr() string { return k.srv.Addr() }

func (k *KV) loop() {
	defer k.wg.Done()
	syncT := time.NewTimer(k.jitter(k.opts.syncInterval))
	gcT := time.NewTicker(k.opts.gcInterval)
	defer syncT.Stop()
	defer gcT.Stop()
	for {
		select {
		case <-k.stop:
			return
		case ev, ok := <-k.sub.C:
			if !ok {
				return
			}
			k.event(ev)
		case <-k.kick:
			k.round(3)
		case <-syncT.C:
			k.round(1)
			syncT.Reset(k.jitter(k.opts.syncInterval))
		case <-gcT.C:
			k.mu.Lock()
			k.store.GC(k.opts.physical())
			k.mu.Unlock()
		}
	}
}

func (k *KV) jitter(d time.Duration) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	return d - d/8 + time.Duration(k.rng.Int64N(int64(d/4)+1))
}

func (k *KV) event(ev gossip.Event) {
	switch ev.Type {
	case gossip.EventUser:
		if !bytes.HasPrefix(ev.Payload, broadcastPrefix) {
			return
		}
		_, es, err := DecodeEntries(ev.Payload[len(broadcastPrefix):])
		if err != nil {
			k.opts.onError(fmt.Errorf("kv: broadcast from %s: %w", ev.Member.ID, err))
			return
		}
		k.merge(es)
	case gossip.EventJoin:
		// A member (re)joined: exchange with it soon, so that whichever
		// side was away catches up without waiting for a random pick.
		if addr := ev.Member.Meta[MetaKey]; addr != "" && ev.Member.ID != k.id {
			k.wg.Add(1)
			go func() {
				defer k.wg.Done()
				k.syncWith(addr)
			}()
		}
	}
}

func (k *KV) merge(es []Entry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, e := range es {
		_, _ = k.hlc.Update(e.Version)
		if _, err := k.store.Merge(e); err != nil {
			k.opts.onError(err)
		}
	}
	k.publishLocked()
}

// peers returns the advertised RPC addresses of live members other than
// this one.
func (k *KV) peers() []string {
	var out []string
	for _, v := range k.node.LiveMembers() {
		if v.ID != k.id && v.Meta[MetaKey] != "" {
			out = append(out, v.Meta[MetaKey])
		}
	}
	return out
}

// round runs exchanges with up to n random peers, one after another.
func (k *KV) round(n int) {
	ps := k.peers()
	k.mu.Lock()
	k.rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	k.mu.Unlock()
	for _, p := range ps[:min(n, len(ps))] {
		k.syncWith(p)
	}
}

// syncWith runs one anti-entropy exchange as initiator, bounded by the
// sync interval (and shutdown).
func (k *KV) syncWith(addr string) {
	ctx, cancel := context.WithTimeout(k.ctx, max(k.opts.syncInterval, 2*time.Second))
	defer cancel()
	if err := k.exchange(ctx, addr); err != nil {
		k.ins.syncs.Add(ctx, 1, resultError)
		k.opts.onError(fmt.Errorf("kv: exchange with %s: %w", addr, err))
		return
	}
	k.ins.syncs.Add(ctx, 1, resultOK)
}

func (k *KV) exchange(ctx context.Context, addr string) error {
	k.mu.Lock()
	d := k.store.Digest()
	k.mu.Unlock()
	resp, err := k.cli.Call(ctx, addr, "kv.sync", EncodeDigest(d))
	if err != nil {
		return err
	}
	rp, err := DecodeReply(resp)
	if err != nil {
		return err
	}
	k.mu.Lock()
	for _, e := range rp.Send {
		_, _ = k.hlc.Update(e.Version)
	}
	p, merr := k.store.ApplyReply(rp)
	k.publishLocked()
	k.mu.Unlock()
	if _, err := k.cli.Call(ctx, addr, "kv.push", EncodeEntries(p.Horizon, p.Entries)); err != nil {
		return err
	}
	return merr
}

// serve answers the RPC methods of an exchange.
func (k *KV) serve(ctx context.Context, from, method string, body []byte) ([]byte, error) {
	switch method {
	case "kv.sync":
		d, err := DecodeDigest(body)
		if err != nil {
			return nil, err
		}
		if lim := (clock.Timestamp{Wall: k.opts.physical().UnixNano()}); lim.Before(d.Horizon) {
			return nil, fmt.Errorf("%w: horizon %v in the future", ErrMalformed, d.Horizon)
		}
		k.mu.Lock()
		rp := k.store.Reconcile(d)
		k.publishLocked()
		k.mu.Unlock()
		return EncodeReply(rp), nil
	case "kv.push":
		h, es, err := DecodeEntries(body)
		if err != nil {
			return nil, err
		}
		if lim := (clock.Timestamp{Wall: k.opts.physical().UnixNano()}); lim.Before(h) {
			return nil, fmt.Errorf("%w: horizon %v in the future", ErrMalformed, h)
		}
		k.mu.Lock()
		for _, e := range es {
			_, _ = k.hlc.Update(e.Version)
		}
		err = k.store.ApplyPush(Push{Horizon: h, Entries: es})
		k.publishLocked()
		k.mu.Unlock()
		if err != nil {
			k.opts.onError(fmt.Errorf("kv: push from %s: %w", from, err))
		}
		return nil, nil
	}
	return nil, errors.New("kv: unknown method")
}
