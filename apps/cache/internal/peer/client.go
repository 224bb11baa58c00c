package peer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// PoolConfig configures a Pool. Zero fields mean the defaults.
type PoolConfig struct {
	// ID is this member's id, sent in the handshake.
	ID string
	// Secret is the cluster secret the handshake is authenticated with.
	Secret []byte
	// ConnsPerPeer bounds the connections kept to each peer. Calls go
	// on the first connection with less than busyBytes waiting to be
	// written, so that under load their frames share writes; the next
	// connection is dialed only when every open one is that busy (a
	// large frame does not hold up small calls). Default 4.
	ConnsPerPeer int
	// DialTimeout bounds connecting and the handshake. Default 2s.
	DialTimeout time.Duration
	// MaxFrame bounds a response's payload in bytes. Default 64 MiB.
	MaxFrame int
	// CallTimeout bounds each call (on top of its context). Default 0:
	// only the context bounds it.
	CallTimeout time.Duration
}

// Pool keeps authenticated connections to peers, ConnsPerPeer each, and
// multiplexes concurrent calls over them. It is safe for concurrent use.
type Pool struct {
	cfg    PoolConfig
	mu     sync.Mutex
	peers  map[string]*peerConns
	closed bool
}

type peerConns struct {
	mu    sync.Mutex
	conns []*clientConn
}

// NewPool returns an empty pool; connections are dialed on first use.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.ConnsPerPeer <= 0 {
		cfg.ConnsPerPeer = 4
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = 64 << 20
	}
	return &Pool{cfg: cfg, peers: map[string]*peerConns{}}
}

// Call sends a request of type typ to the member at addr and waits for its
// answer or ctx. Errors: ErrRefused (handshake), *RemoteError (the
// handler's), ErrClosed, network errors.
func (p *Pool) Call(ctx context.Context, addr string, typ byte, payload []byte) ([]byte, error) {
	c, err := p.conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, typ, payload, p.cfg.CallTimeout)
}

func (p *Pool) conn(ctx context.Context, addr string) (*clientConn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	pc := p.peers[addr]
	if pc == nil {
		pc = &peerConns{conns: make([]*clientConn, p.cfg.ConnsPerPeer)}
		p.peers[addr] = pc
	}
	p.mu.Unlock()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	i, best, bestLoad := -1, (*clientConn)(nil), 0
	for k, c := range pc.conns {
		if c == nil || c.isBroken() {
			if i < 0 {
				i = k
			}
			continue
		}
		l := c.bw.load()
		if l < busyBytes {
			return c, nil
		}
		if best == nil || l < bestLoad {
			best, bestLoad = c, l
		}
	}
	if i < 0 {
		return best, nil // every connection is busy: the least busy one
	}
	c, err := p.dial(ctx, addr)
	if err != nil {
		if best != nil {
			return best, nil
		}
		return nil, err
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		c.close(ErrClosed)
		return nil, ErrClosed
	}
	if old := pc.conns[i]; old != nil {
		old.close(ErrClosed)
	}
	pc.conns[i] = c
	return c, nil
}

func (p *Pool) dial(ctx context.Context, addr string) (*clientConn, error) {
	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(p.cfg.DialTimeout))
	r := bufio.NewReaderSize(nc, 64<<10)
	nonce := make([]byte, nonceLen)
	if _, err := io.ReadFull(r, nonce); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("peer: handshake with %s: %w", addr, err)
	}
	hello := append(mac(p.cfg.Secret, nonce, p.cfg.ID), p.cfg.ID...)
	if _, err := nc.Write(appendFrame(nil, typeHello, 0, hello)); err != nil {
		_ = nc.Close()
		return nil, err
	}
	var hdr [headerLen]byte
	f, err := readFrame(r, hdr[:], 4096)
	if err == nil && f.typ != typeOK {
		err = fmt.Errorf("%w: %s", ErrRefused, f.payload)
	}
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("peer: handshake with %s: %w", addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	c := &clientConn{nc: nc, bw: newBatchWriter(nc), waiting: map[uint64]chan frame{}, done: make(chan struct{})}
	go c.readLoop(r, p.cfg.MaxFrame)
	return c, nil
}

// Close closes every connection; calls in flight fail with ErrClosed.
// It waits for the connections' reader goroutines.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	peers := p.peers
	p.peers = map[string]*peerConns{}
	p.mu.Unlock()
	for _, pc := range peers {
		pc.mu.Lock()
		for _, c := range pc.conns {
			if c != nil {
				c.close(ErrClosed)
				<-c.done
			}
		}
		pc.mu.Unlock()
	}
	return nil
}

// Forget closes the connections to addr (a member that left).
func (p *Pool) Forget(addr string) {
	p.mu.Lock()
	pc := p.peers[addr]
	delete(p.peers, addr)
	p.mu.Unlock()
	if pc == nil {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for _, c := range pc.conns {
		if c != nil {
			c.close(ErrClosed)
			<-c.done
		}
	}
}

type clientConn struct {
	nc net.Conn
	bw *batchWriter

	mu      sync.Mutex
	nextID  uint64
	waiting map[uint64]chan frame
	err     error
	done    chan struct{} // closed when readLoop and the writer are done
}

func (c *clientConn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil
}

func (c *clientConn) close(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	_ = c.nc.Close()
	c.bw.stop()
}

func (c *clientConn) readLoop(r *bufio.Reader, max int) {
	defer func() {
		c.bw.stop()
		<-c.bw.done
		close(c.done)
	}()
	var hdr [headerLen]byte
	for {
		f, err := readFrame(r, hdr[:], max)
		if err != nil {
			c.mu.Lock()
			if c.err == nil {
				c.err = fmt.Errorf("%w: %v", ErrClosed, err)
			}
			for id, ch := range c.waiting {
				delete(c.waiting, id)
				close(ch)
			}
			c.mu.Unlock()
			_ = c.nc.Close()
			return
		}
		c.mu.Lock()
		ch := c.waiting[f.id]
		delete(c.waiting, f.id)
		c.mu.Unlock()
		if ch != nil {
			ch <- f
		}
	}
}

// chanPool holds answer channels that were used and emptied.
var chanPool = sync.Pool{New: func() any { return make(chan frame, 1) }}

// timerPool holds stopped timers for CallTimeout.
var timerPool sync.Pool

func (c *clientConn) call(ctx context.Context, typ byte, payload []byte, timeout time.Duration) ([]byte, error) {
	ch := chanPool.Get().(chan frame)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		chanPool.Put(ch)
		return nil, err
	}
	c.nextID++
	id := c.nextID
	c.waiting[id] = ch
	c.mu.Unlock()

	if err := c.bw.send(typ, id, payload); err != nil {
		c.close(fmt.Errorf("%w: %v", ErrClosed, err))
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t, _ := timerPool.Get().(*time.Timer)
		if t == nil {
			t = time.NewTimer(timeout)
		} else {
			t.Reset(timeout)
		}
		defer func() {
			t.Stop()
			timerPool.Put(t)
		}()
		expired = t.C
	}
	select {
	case f, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		chanPool.Put(ch) // emptied, and no longer in waiting
		if f.typ == typeError {
			return nil, &RemoteError{Msg: string(f.payload)}
		}
		return f.payload, nil
	case <-ctx.Done():
		c.forget(id)
		return nil, ctx.Err()
	case <-expired:
		c.forget(id)
		return nil, context.DeadlineExceeded
	}
}

// forget drops a call given up on; its channel is not reused, as the
// answer may still arrive in it.
func (c *clientConn) forget(id uint64) {
	c.mu.Lock()
	delete(c.waiting, id)
	c.mu.Unlock()
}
