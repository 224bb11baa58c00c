package peer

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Handler serves requests from authenticated members. It is called from
// many goroutines at once; ctx ends when the server closes. A returned
// error is sent to the caller as a RemoteError.
type Handler interface {
	Serve(ctx context.Context, from string, typ byte, payload []byte) ([]byte, error)
}

// maxIdleWorkers bounds the server's workers waiting for a request (of
// any connection); each keeps its stack, a few KiB.
const maxIdleWorkers = 128

// Inliner is implemented by a Handler whose requests of some types are
// quick and call no other member: those are served one after another on
// the connection's reading goroutine instead of a goroutine each.
type Inliner interface {
	Inline(typ byte) bool
}

// Authorizer reports whether id is a member allowed to connect. It is
// called for each handshake and must be safe for concurrent use.
type Authorizer func(id string) bool

// Limits bound what one server accepts. Zero fields mean the defaults.
type Limits struct {
	// MaxFrame bounds a frame's payload in bytes. Default 64 MiB.
	MaxFrame int
	// MaxConns bounds open connections, authenticated or not. Default 256.
	MaxConns int
	// MaxInflight bounds requests served at once per connection; reading
	// pauses at the bound. Default 512.
	MaxInflight int
	// Handshake bounds the handshake. Default 5s.
	Handshake time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxFrame <= 0 {
		l.MaxFrame = 64 << 20
	}
	if l.MaxConns <= 0 {
		l.MaxConns = 256
	}
	if l.MaxInflight <= 0 {
		l.MaxInflight = 512
	}
	if l.Handshake <= 0 {
		l.Handshake = 5 * time.Second
	}
	return l
}

// ServerStats are a Server's counters since Serve.
type ServerStats struct {
	Accepted uint64 // connections that passed the handshake
	Refused  uint64 // connections refused (limit, handshake, not a member)
	Requests uint64 // requests served
}

// Server accepts member connections and serves their requests. Its
// methods are safe for concurrent use.
type Server struct {
	secret []byte
	auth   Authorizer
	h      Handler
	lim    Limits
	log    *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc

	accepted, refused, requests atomic.Uint64

	tasks chan task    // requests for idle workers (unbuffered)
	idle  atomic.Int32 // workers waiting on tasks, roughly
}

// NewServer returns a server for members holding secret, authorized by
// auth, served by h. It opens nothing until Serve.
func NewServer(secret []byte, auth Authorizer, h Handler, lim Limits, log *slog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{secret: secret, auth: auth, h: h, lim: lim.withDefaults(), log: log,
		conns: map[net.Conn]struct{}{}, ctx: ctx, cancel: cancel, tasks: make(chan task)}
}

// Serve accepts connections on ln until Close. It returns at once; the
// accept loop runs in a goroutine that Close waits for.
func (s *Server) Serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln)
}

// Stats returns the server's counters.
func (s *Server) Stats() ServerStats {
	return ServerStats{Accepted: s.accepted.Load(), Refused: s.refused.Load(), Requests: s.requests.Load()}
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("peer accept", "err", err)
			continue
		}
		s.mu.Lock()
		if s.closed || len(s.conns) >= s.lim.MaxConns {
			s.mu.Unlock()
			s.refused.Add(1)
			_ = c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// Close stops accepting, closes every connection and waits for the
// server's goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

func (s *Server) handshake(c net.Conn, r *bufio.Reader) (string, error) {
	_ = c.SetDeadline(time.Now().Add(s.lim.Handshake))
	nonce := make([]byte, nonceLen)
	_, _ = rand.Read(nonce)
	if _, err := c.Write(nonce); err != nil {
		return "", err
	}
	var hdr [headerLen]byte
	f, err := readFrame(r, hdr[:], maxIDLen+macLen)
	if err != nil {
		return "", err
	}
	if f.typ != typeHello || len(f.payload) < macLen {
		return "", fmt.Errorf("%w: bad hello", ErrRefused)
	}
	id := string(f.payload[macLen:])
	if !hmac.Equal(f.payload[:macLen], mac(s.secret, nonce, id)) {
		return id, fmt.Errorf("%w: bad credentials from %q", ErrRefused, id)
	}
	if !s.auth(id) {
		return id, fmt.Errorf("%w: %q is not a member", ErrRefused, id)
	}
	_ = c.SetDeadline(time.Time{})
	return id, nil
}

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	from, err := s.handshake(c, r)
	if err != nil {
		s.refused.Add(1)
		s.log.Warn("peer connection refused", "peer_addr", c.RemoteAddr().String(), "err", err)
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(appendFrame(nil, typeError, 0, []byte(err.Error())))
		return
	}
	s.accepted.Add(1)
	w := newBatchWriter(c)
	defer func() {
		w.stop()
		<-w.done
	}()
	_ = w.send(typeOK, 0, nil)
	inline, _ := s.h.(Inliner)
	sc := &servedConn{from: from, w: w, sem: make(chan struct{}, s.lim.MaxInflight)}
	defer sc.reqs.Wait()
	var hdr [headerLen]byte
	for {
		if !frameBuffered(r) {
			// About to wait for input: the answers of the requests
			// served inline so far go out, in one write.
			w.writeNow()
		}
		f, err := readFrame(r, hdr[:], s.lim.MaxFrame)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !errors.Is(err, context.Canceled) {
				s.log.Debug("peer read", "peer", from, "err", err)
			}
			return
		}
		if f.typ == typeHello || f.typ > TypeMaxRequest {
			s.log.Warn("peer sent a bad request type", "peer", from, "type", f.typ)
			return
		}
		if inline != nil && inline.Inline(f.typ) {
			s.serve(sc, f, false)
			continue
		}
		select {
		case sc.sem <- struct{}{}:
		default:
			// At the bound: the answers queued inline go out before
			// the wait (their callers may be what the requests being
			// served wait for).
			w.writeNow()
			sc.sem <- struct{}{}
		}
		sc.reqs.Add(1)
		t := task{sc: sc, f: f}
		select {
		case s.tasks <- t: // an idle worker took it
			s.idle.Add(-1)
			continue
		default:
		}
		s.wg.Add(1)
		go s.worker(t)
	}
}

// servedConn is what the requests of one connection share.
type servedConn struct {
	from string
	w    *batchWriter
	sem  chan struct{} // a slot per request being served (MaxInflight)
	reqs sync.WaitGroup
}

// task is a request handed to a worker.
type task struct {
	sc *servedConn
	f  frame
}

// serve serves one request and sends its answer, or only queues it
// when write is false (the connection's reading goroutine flushes it
// before it waits for input).
func (s *Server) serve(sc *servedConn, f frame, write bool) {
	s.requests.Add(1)
	resp, err := s.h.Serve(s.ctx, sc.from, f.typ, f.payload)
	typ := byte(typeOK)
	if err != nil {
		typ, resp = typeError, []byte(err.Error())
	}
	if write {
		_ = sc.w.send(typ, f.id, resp)
	} else {
		_ = sc.w.sendLater(typ, f.id, resp)
	}
}

// frameBuffered reports whether r holds a whole frame already read, so
// that reading it does not wait.
func frameBuffered(r *bufio.Reader) bool {
	if r.Buffered() < headerLen {
		return false
	}
	hdr, _ := r.Peek(4)
	return r.Buffered() >= 4+int(binary.BigEndian.Uint32(hdr))
}

// worker serves t, then, while fewer than maxIdleWorkers of the
// server's workers are idle, waits for the next request of any
// connection. Workers outlive requests so that the stacks they grew
// serving one are reused (a new goroutine grows its stack again, which
// cost a tenth of a busy owner's CPU).
func (s *Server) worker(t task) {
	defer s.wg.Done()
	for {
		s.serve(t.sc, t.f, true)
		<-t.sc.sem
		t.sc.reqs.Done()
		t = task{} // an idle worker holds no request's memory
		if s.idle.Add(1) > maxIdleWorkers {
			s.idle.Add(-1)
			return
		}
		select {
		case t = <-s.tasks:
		case <-s.ctx.Done():
			s.idle.Add(-1)
			return
		}
	}
}
