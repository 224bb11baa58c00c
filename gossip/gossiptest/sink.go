package gossiptest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

// Timeout bounds every wait of this package's helpers.
const Timeout = 10 * time.Second

// Sink is a gossip.Handler for tests: it queues packets on a buffered
// channel (dropping and counting them when full, as the contract asks) and
// hands each accepted stream to the test, holding HandleStream open until
// the test closes the stream or the Sink is stopped. Safe for concurrent
// use.
type Sink struct {
	packets chan gossip.Packet
	streams chan *Stream
	stop    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
}

var _ gossip.Handler = (*Sink)(nil)

// NewSink returns a Sink that buffers up to 1024 packets.
func NewSink() *Sink {
	return &Sink{
		packets: make(chan gossip.Packet, 1024),
		streams: make(chan *Stream, 64),
		stop:    make(chan struct{}),
	}
}

// HandlePacket queues p, or drops it when 1024 packets are waiting.
func (s *Sink) HandlePacket(p gossip.Packet) {
	select {
	case s.packets <- p:
	default:
		s.dropped.Add(1)
	}
}

// HandleStream hands conn to the test (see Accept) and returns when the
// test closes it or the Sink is stopped.
func (s *Sink) HandleStream(conn net.Conn) {
	st := &Stream{Conn: conn, done: make(chan struct{})}
	select {
	case s.streams <- st:
	case <-s.stop:
		return
	}
	select {
	case <-st.done:
	case <-s.stop:
	}
}

// Stop releases every HandleStream in progress and makes later ones return
// at once. Call it before closing a transport whose streams the test has
// not closed. Stop after Stop is a no-op.
func (s *Sink) Stop() { s.once.Do(func() { close(s.stop) }) }

// Dropped returns the number of packets dropped because the buffer was
// full.
func (s *Sink) Dropped() uint64 { return s.dropped.Load() }

// Packets returns the channel of received packets.
func (s *Sink) Packets() <-chan gossip.Packet { return s.packets }

// Streams returns the channel of accepted streams (see Accept).
func (s *Sink) Streams() <-chan *Stream { return s.streams }

// Stream is an accepted stream handed to a test. Closing it closes the
// connection and lets its HandleStream return.
type Stream struct {
	net.Conn
	once sync.Once
	done chan struct{}
}

// Close closes the connection and releases its HandleStream.
func (s *Stream) Close() error {
	err := s.Conn.Close()
	s.once.Do(func() { close(s.done) })
	return err
}

// StartTransport starts tr with a new Sink and registers a cleanup that
// stops the Sink and closes tr.
func StartTransport(t testing.TB, tr gossip.Transport) *Sink {
	t.Helper()
	s := NewSink()
	t.Cleanup(func() {
		s.Stop()
		_ = tr.Close()
	})
	ctx, cancel := contextWithTimeout()
	defer cancel()
	if err := tr.Start(ctx, s); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

// Recv waits up to Timeout for one packet on s.
func Recv(t testing.TB, s *Sink) gossip.Packet {
	t.Helper()
	select {
	case p := <-s.packets:
		return p
	case <-time.After(Timeout):
		t.Fatal("no packet received")
	}
	return gossip.Packet{}
}

// Accept waits up to Timeout for one inbound stream on s.
func Accept(t testing.TB, s *Sink) *Stream {
	t.Helper()
	select {
	case c := <-s.streams:
		return c
	case <-time.After(Timeout):
		t.Fatal("no stream accepted")
	}
	return nil
}

// NoPacket fails t if s receives a packet within d.
func NoPacket(t testing.TB, s *Sink, d time.Duration) {
	t.Helper()
	select {
	case p := <-s.packets:
		t.Fatalf("unexpected packet from %s: %x", p.From, p.Data)
	case <-time.After(d):
	}
}
