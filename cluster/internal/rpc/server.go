package rpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Handler serves one request. from is the caller's address as seen by the
// server (not authenticated unless TLS with client certificates is used).
// The handler runs under ctx, which ends at HandlerTimeout or at shutdown.
// A returned error is sent to the caller as its message.
type Handler func(ctx context.Context, from string, method string, body []byte) ([]byte, error)

// Defaults of the server and client options.
const (
	DefaultMaxFrame          = 1<<20 + 4096
	DefaultMaxConns          = 256
	DefaultMaxConnsPerSource = 32
	DefaultReadTimeout       = 5 * time.Second
	DefaultHandlerTimeout    = 10 * time.Second
	DefaultWriteTimeout      = 10 * time.Second
)

type options struct {
	maxFrame       int
	maxConns       int
	perSource      int
	readTimeout    time.Duration
	handlerTimeout time.Duration
	writeTimeout   time.Duration
	tls            *tls.Config
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
}

func defaults() options {
	return options{
		maxFrame:       DefaultMaxFrame,
		maxConns:       DefaultMaxConns,
		perSource:      DefaultMaxConnsPerSource,
		readTimeout:    DefaultReadTimeout,
		handlerTimeout: DefaultHandlerTimeout,
		writeTimeout:   DefaultWriteTimeout,
	}
}

// Option configures a Server or a Client.
type Option func(*options)

// WithMaxFrame sets the largest frame read, in bytes (requests on a
// server, responses on a client). Default DefaultMaxFrame (1 MiB + 4 KiB).
func WithMaxFrame(n int) Option { return func(o *options) { o.maxFrame = n } }

// WithMaxConns sets the server's limit on concurrent connections in total
// (default 256) and per source IP (default 32).
func WithMaxConns(total, perSource int) Option {
	return func(o *options) { o.maxConns, o.perSource = total, perSource }
}

// WithTimeouts sets how long a server waits for a request (read), lets a
// handler run, and waits to write the response; on a client, read bounds
// the wait for the response and write the sending of the request.
// Defaults 5s, 10s, 10s.
func WithTimeouts(read, handler, write time.Duration) Option {
	return func(o *options) { o.readTimeout, o.handlerTimeout, o.writeTimeout = read, handler, write }
}

// WithDialer sets how a client opens connections. Default a net.Dialer.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithTLS secures the channel: a server accepts only TLS connections with
// cfg, a client dials with cfg. Nil (the default) means plain TCP.
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

func build(opts []Option) (options, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxFrame < 64 || o.maxConns < 1 || o.perSource < 1 ||
		o.readTimeout <= 0 || o.handlerTimeout <= 0 || o.writeTimeout <= 0 {
		return o, fmt.Errorf("rpc: invalid options (frame %d, conns %d/%d, timeouts %v/%v/%v)",
			o.maxFrame, o.maxConns, o.perSource, o.readTimeout, o.handlerTimeout, o.writeTimeout)
	}
	return o, nil
}

// Server accepts calls on a TCP listener. Start and Shutdown are safe for
// concurrent use; every connection is served by a goroutine the Server
// owns and waits for at Shutdown.
type Server struct {
	h    Handler
	opts options

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	sources map[string]int
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// Refused counts connections refused by a connection limit.
	refused int
}

// NewServer returns an unstarted server that passes requests to h.
func NewServer(h Handler, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, errors.New("rpc: nil handler")
	}
	o, err := build(opts)
	if err != nil {
		return nil, err
	}
	return &Server{h: h, opts: o, conns: map[net.Conn]struct{}{}, sources: map[string]int{}}, nil
}

// Start listens on addr ("host:port"; port 0 picks a free port) and
// starts accepting. It does not block.
func (s *Server) Start(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("rpc: listen %s: %w", addr, err)
	}
	if s.opts.tls != nil {
		ln = tls.NewListener(ln, s.opts.tls)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ln != nil {
		ln.Close()
		return ErrClosed
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

// Addr returns the listener's address, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Refused returns the number of connections refused by a connection limit.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Shutdown closes the listener and every open connection and waits for
// the server's goroutines, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
		s.cancel()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		src := sourceOf(c.RemoteAddr())
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		if len(s.conns) >= s.opts.maxConns || s.sources[src] >= s.opts.perSource {
			s.refused++
			s.mu.Unlock()
			s.wg.Add(1)
			go s.refuse(c)
			continue
		}
		s.conns[c] = struct{}{}
		s.sources[src]++
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c, src)
	}
}

func sourceOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// refuse answers a connection over a limit with a busy frame, briefly.
func (s *Server) refuse(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_ = WriteFrame(c, []byte{kindBusy})
}

func (s *Server) serve(c net.Conn, src string) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if s.sources[src]--; s.sources[src] <= 0 {
			delete(s.sources, src)
		}
		s.mu.Unlock()
	}()
	_ = c.SetWriteDeadline(time.Now().Add(s.opts.writeTimeout))
	if WriteFrame(c, []byte{kindReady}) != nil {
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(s.opts.readTimeout))
	p, err := ReadFrame(c, s.opts.maxFrame)
	if err != nil {
		if errors.Is(err, ErrFrameTooLarge) {
			s.reply(c, encodeError(kindError, err.Error()))
		}
		return
	}
	method, body, err := DecodeRequest(p)
	if err != nil {
		s.reply(c, encodeError(kindError, err.Error()))
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.handlerTimeout)
	resp, err := s.h(ctx, c.RemoteAddr().String(), method, body)
	cancel()
	if err != nil {
		s.reply(c, encodeError(kindError, err.Error()))
		return
	}
	s.reply(c, encodeResponse(resp))
}

func (s *Server) reply(c net.Conn, p []byte) {
	_ = c.SetWriteDeadline(time.Now().Add(s.opts.writeTimeout))
	_ = WriteFrame(c, p)
}
