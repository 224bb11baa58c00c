package connlimit

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// ErrLimit is returned by [New] for a limit below one.
var ErrLimit = errors.New("connlimit: limit must be at least 1")

// Listener is a [net.Listener] that holds at most a fixed number of accepted
// connections open at once. Build one with [New]. It is safe for concurrent
// use.
type Listener struct {
	net.Listener
	sem    chan struct{}
	closed chan struct{}
	once   sync.Once
	open   atomic.Int64
}

// New wraps l so that at most n connections it accepted are open at once.
// It returns an error wrapping [ErrLimit] if n < 1. The returned Listener
// owns l: closing it closes l.
func New(l net.Listener, n int) (*Listener, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w (got %d)", ErrLimit, n)
	}
	return &Listener{Listener: l, sem: make(chan struct{}, n), closed: make(chan struct{})}, nil
}

// Accept waits for a free slot, then for the next connection. It blocks
// while the limit's worth of connections are open, and returns
// [net.ErrClosed] if the listener is closed while it waits. The slot is
// released when the returned connection is first closed, or at once if the
// underlying Accept fails.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	l.open.Add(1)
	return &conn{Conn: c, l: l}, nil
}

// Close closes the underlying listener and wakes any Accept waiting for a
// slot. Connections already accepted stay open. Safe to call more than once.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Open reports how many connections this listener accepted that are not
// yet closed. It never exceeds the limit given to [New].
func (l *Listener) Open() int { return int(l.open.Load()) }

// Limit reports the most connections held open at once.
func (l *Listener) Limit() int { return cap(l.sem) }

// conn gives its listener's slot back on its first Close.
type conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

// Close closes the connection and, the first time, releases its slot.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		<-c.l.sem
	})
	return err
}
