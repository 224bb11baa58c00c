package connlimit_test

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/utils/connlimit"
)

// pipeListener hands out one end of in-memory pipes; the test holds the
// other end. Accept fails with failNext once when it is set.
type pipeListener struct {
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	failMu sync.Mutex
	fail   error
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (p *pipeListener) Accept() (net.Conn, error) {
	p.failMu.Lock()
	err := p.fail
	p.fail = nil
	p.failMu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeListener) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

func (p *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// dial offers a new connection to whoever calls Accept next and returns the
// client end, or fails the test if nobody accepts within the deadline.
func (p *pipeListener) dial(t *testing.T) net.Conn {
	t.Helper()
	server, client := net.Pipe()
	select {
	case p.conns <- server:
		return client
	case <-time.After(10 * time.Second):
		t.Fatal("no Accept took the connection")
		return nil
	}
}

// offered reports whether a connection is taken by an Accept within d; it
// is used to show that Accept is NOT reaching the inner listener.
func (p *pipeListener) offered(d time.Duration) (net.Conn, bool) {
	server, client := net.Pipe()
	select {
	case p.conns <- server:
		return client, true
	case <-time.After(d):
		server.Close()
		client.Close()
		return nil, false
	}
}

// acceptLoop accepts until Accept fails, sending each connection on the
// first channel and the final error on the second; the test owns the
// goroutine and receives that error to know it has exited.
func acceptLoop(l net.Listener) (<-chan net.Conn, <-chan error) {
	conns := make(chan net.Conn, 16)
	end := make(chan error, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				end <- err
				return
			}
			conns <- c
		}
	}()
	return conns, end
}

func TestNewRejectsBadLimit(t *testing.T) {
	for _, n := range []int{0, -1} {
		l, err := connlimit.New(newPipeListener(), n)
		if !errors.Is(err, connlimit.ErrLimit) || l != nil {
			t.Errorf("New(_, %d) = %v, %v; want nil, ErrLimit", n, l, err)
		}
	}
}

func TestAcceptWaitsForASlot(t *testing.T) {
	inner := newPipeListener()
	l, err := connlimit.New(inner, 2)
	if err != nil {
		t.Fatal(err)
	}
	if l.Limit() != 2 {
		t.Fatalf("Limit() = %d, want 2", l.Limit())
	}
	conns, end := acceptLoop(l)
	var server []net.Conn
	for range 2 {
		c := inner.dial(t)
		defer c.Close()
		server = append(server, <-conns)
	}
	if got := l.Open(); got != 2 {
		t.Fatalf("Open() = %d with two accepted, want 2", got)
	}
	// Every slot is taken: the loop's next Accept must not reach the inner
	// listener. 100 ms is only how long we look; a pass here cannot be a
	// false failure, since the waiting Accept has no way to take the offer.
	if c, ok := inner.offered(100 * time.Millisecond); ok {
		c.Close()
		t.Fatal("a third connection was accepted beyond the limit of 2")
	}
	// Closing one connection twice frees exactly one slot.
	server[0].Close()
	server[0].Close()
	if got := l.Open(); got != 1 {
		t.Fatalf("Open() = %d after one close, want 1", got)
	}
	c := inner.dial(t)
	defer c.Close()
	server = append(server, <-conns)
	if got := l.Open(); got != 2 {
		t.Fatalf("Open() = %d after a new accept, want 2", got)
	}
	if c, ok := inner.offered(100 * time.Millisecond); ok {
		c.Close()
		t.Fatal("a double Close released two slots")
	}
	// Close wakes the Accept that waits for a slot.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-end:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close returned %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake the waiting Accept")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, s := range server[1:] {
		s.Close()
	}
	if got := l.Open(); got != 0 {
		t.Fatalf("Open() = %d with every connection closed, want 0", got)
	}
}

func TestFailedAcceptReleasesItsSlot(t *testing.T) {
	inner := newPipeListener()
	l, err := connlimit.New(inner, 1)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("accept failed")
	inner.fail = boom
	if _, err := l.Accept(); !errors.Is(err, boom) {
		t.Fatalf("Accept = %v, want the inner error", err)
	}
	// The one slot is free again: the next Accept succeeds.
	conns, end := acceptLoop(l)
	c := inner.dial(t)
	defer c.Close()
	s := <-conns
	defer s.Close()
	if got := l.Open(); got != 1 {
		t.Fatalf("Open() = %d, want 1", got)
	}
	l.Close()
	if err := <-end; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("accept loop ended with %v, want net.ErrClosed", err)
	}
}
