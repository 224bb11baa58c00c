package raft

import (
	"net"
	"sync"
	"time"

	hraft "github.com/hashicorp/raft"
)

// streamLayer is the TCP stream layer under raft's NetworkTransport. Raft's
// own TCP layer leaves its inbound connections open after the transport is
// closed (their goroutines end only when the peer hangs up); this one
// tracks every connection, inbound and outbound, so that Shutdown can close
// them all and no goroutine outlives the Server. It also caps the inbound
// connections open at once, in total and per remote IP, so a peer that is
// not a server cannot exhaust file descriptors or goroutines.
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr
	maxConns  int
	maxPerIP  int

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	perIP  map[string]int
	closed bool
	// idle is closed once the layer is closed and no inbound connection
	// is left: every goroutine that served one has returned.
	idle chan struct{}
}

func newStreamLayer(ln net.Listener, advertise net.Addr, maxConns, maxPerIP int) *streamLayer {
	return &streamLayer{ln: ln, advertise: advertise, maxConns: maxConns, maxPerIP: maxPerIP,
		conns: map[net.Conn]struct{}{}, perIP: map[string]int{}, idle: make(chan struct{})}
}

var _ hraft.StreamLayer = (*streamLayer)(nil)

// trackedConn removes itself from the layer when closed. The transport
// closes an inbound connection only when the goroutine serving it returns,
// so an inbound connection still tracked may have a command in progress
// (see handlersDone).
type trackedConn struct {
	net.Conn
	l       *streamLayer
	ip      string // remote IP for inbound connections, "" for outbound
	once    sync.Once
	inbound bool
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.forget(c) })
	return err
}

func (l *streamLayer) forget(c *trackedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	if c.inbound {
		if l.perIP[c.ip]--; l.perIP[c.ip] <= 0 {
			delete(l.perIP, c.ip)
		}
	}
	l.checkIdle()
}

// checkIdle closes idle once the layer is closed with no inbound
// connection left. l.mu must be held.
func (l *streamLayer) checkIdle() {
	if !l.closed || len(l.perIP) > 0 {
		return
	}
	select {
	case <-l.idle:
	default:
		close(l.idle)
	}
}

// Accept returns the next inbound connection within the limits; those over
// a limit are closed at once.
func (l *streamLayer) Accept() (net.Conn, error) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return nil, err
		}
		ip := ""
		if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
			ip = a.IP.String()
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			conn.Close()
			return nil, net.ErrClosed
		}
		inbound := 0
		for c := range l.conns {
			if c.(*trackedConn).inbound {
				inbound++
			}
		}
		if inbound >= l.maxConns || l.perIP[ip] >= l.maxPerIP {
			l.mu.Unlock()
			conn.Close()
			continue
		}
		tc := &trackedConn{Conn: conn, l: l, ip: ip, inbound: true}
		l.conns[tc] = struct{}{}
		l.perIP[ip]++
		l.mu.Unlock()
		return tc, nil
	}
}

// Close stops accepting; connections are closed by closeAll.
func (l *streamLayer) Close() error { return l.ln.Close() }

// Addr is the address advertised to other servers.
func (l *streamLayer) Addr() net.Addr { return l.advertise }

// Dial opens a tracked outbound connection.
func (l *streamLayer) Dial(address hraft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		conn.Close()
		return nil, net.ErrClosed
	}
	tc := &trackedConn{Conn: conn, l: l}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// closeAll closes the listener and every open connection, and refuses new
// ones. An inbound connection's socket is closed under the goroutine
// serving it, which then returns and closes the connection itself:
// handlersDone reports when all have.
func (l *streamLayer) closeAll() {
	_ = l.ln.Close()
	l.mu.Lock()
	l.closed = true
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c.(*trackedConn))
	}
	l.checkIdle()
	l.mu.Unlock()
	for _, c := range conns {
		if c.inbound {
			_ = c.Conn.Close()
		} else {
			_ = c.Close()
		}
	}
}

// handlersDone is closed once closeAll has run and every goroutine that
// served an inbound connection has returned. Raft answers heartbeats on
// those goroutines, outside the ones its Shutdown waits for; one still
// running may write the term to the store.
func (l *streamLayer) handlersDone() <-chan struct{} { return l.idle }

// open returns the number of open connections (inbound, outbound).
func (l *streamLayer) open() (in, out int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if c.(*trackedConn).inbound {
			in++
		} else {
			out++
		}
	}
	return in, out
}
