package gossiptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// Pair builds two unstarted transports that can reach each other. The
// suite starts and closes them.
type Pair func(t *testing.T) (a, b gossip.Transport)

// Features says which optional behaviours a transport has.
type Features struct {
	// Streams is set when DialStream and inbound streams work.
	Streams bool
	// ExactFrom is set when a packet's From equals the sender's Addr.
	ExactFrom bool
}

func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), Timeout)
}

// RunTransport holds a Transport (or a Middleware around one) to the
// gossip.Transport contract, as subtests of t: packets reach the peer's
// Handler in both directions, oversized packets are refused, streams are
// served by HandleStream and closed when it returns, Close closes open
// streams and waits for every HandleStream, calls after Close fail, a
// second Start fails, and a cancelled context bounds DialStream.
func RunTransport(t *testing.T, pair Pair, f Features) {
	t.Run("packets", func(t *testing.T) {
		a, b, sa, sb := startPair(t, pair)
		for i, dir := range []struct {
			src, dst gossip.Transport
			sink     *Sink
		}{{a, b, sb}, {b, a, sa}} {
			msg := []byte{1, 2, 3, byte(i)}
			if err := dir.src.WritePacket(context.Background(), dir.dst.Addr(), msg); err != nil {
				t.Fatalf("WritePacket(%s): %v", dir.dst.Addr(), err)
			}
			p := Recv(t, dir.sink)
			if !bytes.Equal(p.Data, msg) {
				t.Fatalf("got packet %v, want %v", p.Data, msg)
			}
			if f.ExactFrom && p.From != dir.src.Addr() {
				t.Fatalf("got From %q, want %q", p.From, dir.src.Addr())
			}
			if p.Received.IsZero() {
				t.Fatal("Received is zero")
			}
		}
	})
	t.Run("concurrent writes", func(t *testing.T) {
		a, b, _, sb := startPair(t, pair)
		const writers, each = 4, 25
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					_ = a.WritePacket(context.Background(), b.Addr(), []byte{byte(w), byte(i)})
				}
			}()
		}
		wg.Wait()
		// Datagrams may be lost; at least one must arrive whole.
		if p := Recv(t, sb); len(p.Data) != 2 {
			t.Fatalf("got %d bytes, want 2", len(p.Data))
		}
	})
	t.Run("oversize", func(t *testing.T) {
		a, b, _, sb := startPair(t, pair)
		big := make([]byte, a.PacketSize()+1)
		if err := a.WritePacket(context.Background(), b.Addr(), big); err == nil {
			t.Fatalf("WritePacket of %d bytes (packet size %d) succeeded", len(big), a.PacketSize())
		}
		full := bytes.Repeat([]byte{7}, a.PacketSize())
		if err := a.WritePacket(context.Background(), b.Addr(), full); err != nil {
			t.Fatalf("WritePacket of exactly the packet size: %v", err)
		}
		if p := Recv(t, sb); !bytes.Equal(p.Data, full) {
			t.Fatalf("got %d bytes, want %d", len(p.Data), len(full))
		}
	})
	if f.Streams {
		t.Run("streams", func(t *testing.T) { testStreams(t, pair) })
		t.Run("stream closed when handler returns", func(t *testing.T) { testHandlerReturn(t, pair) })
		t.Run("close waits for handlers", func(t *testing.T) { testCloseWaits(t, pair) })
	}
	t.Run("dial bounded by ctx", func(t *testing.T) {
		a, b, _, _ := startPair(t, pair)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		c, err := a.DialStream(ctx, b.Addr())
		if err == nil {
			c.Close()
			t.Fatal("DialStream with a cancelled context succeeded")
		}
		if d := time.Since(start); d > Timeout/2 {
			t.Fatalf("DialStream with a cancelled context took %v", d)
		}
	})
	t.Run("close", func(t *testing.T) {
		a, b, _, _ := startPair(t, pair)
		if err := a.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := a.WritePacket(context.Background(), b.Addr(), []byte{1}); err == nil {
			t.Fatal("WritePacket after Close succeeded")
		}
		if c, err := a.DialStream(context.Background(), b.Addr()); err == nil {
			c.Close()
			t.Fatal("DialStream after Close succeeded")
		}
		if err := a.Start(context.Background(), NewSink()); err == nil {
			t.Fatal("Start after Close succeeded")
		}
		// The peer may still send; nothing reaches a's handler any more.
		_ = b.WritePacket(context.Background(), a.Addr(), []byte{2})
	})
	t.Run("no delivery after close", func(t *testing.T) { testNoDeliveryAfterClose(t, pair) })
	t.Run("try write", func(t *testing.T) { testTryWrite(t, pair) })
	t.Run("unstarted", func(t *testing.T) {
		a, b := pair(t)
		defer a.Close()
		defer b.Close()
		if err := a.WritePacket(context.Background(), "127.0.0.1:1", []byte{1}); err == nil {
			t.Fatal("WritePacket before Start succeeded")
		}
	})
}

// testTryWrite holds a transport that offers gossip.PacketTryWriter to
// its contract: a packet it accepts arrives like one from WritePacket, it
// refuses oversized packets and refuses after Close, and it returns
// promptly. A transport without the interface skips.
func testTryWrite(t *testing.T, pair Pair) {
	a, b := pair(t)
	if _, ok := a.(gossip.PacketTryWriter); !ok {
		a.Close()
		b.Close()
		t.Skip("the transport does not offer gossip.PacketTryWriter")
	}
	if err := a.(gossip.PacketTryWriter).TryWritePacket("127.0.0.1:1", []byte{1}); err == nil {
		t.Fatal("TryWritePacket before Start succeeded")
	}
	StartTransport(t, a)
	sb := StartTransport(t, b)
	tw := a.(gossip.PacketTryWriter)
	// Refused packets (ErrWouldBlock) are allowed; one of a few tries
	// must be accepted and arrive whole.
	sent := 0
	for i := range 8 {
		start := time.Now()
		err := tw.TryWritePacket(b.Addr(), []byte{9, byte(i)})
		if d := time.Since(start); d > Timeout/2 {
			t.Fatalf("TryWritePacket took %v", d)
		}
		switch {
		case err == nil:
			sent++
		case errors.Is(err, gossip.ErrWouldBlock):
		default:
			t.Fatalf("TryWritePacket(%s): %v", b.Addr(), err)
		}
	}
	if sent > 0 {
		if p := Recv(t, sb); len(p.Data) != 2 || p.Data[0] != 9 {
			t.Fatalf("got packet %v, want [9 n]", p.Data)
		}
	}
	big := make([]byte, a.PacketSize()+1)
	if err := tw.TryWritePacket(b.Addr(), big); err == nil {
		t.Fatalf("TryWritePacket of %d bytes (packet size %d) succeeded", len(big), a.PacketSize())
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := tw.TryWritePacket(b.Addr(), []byte{1}); err == nil {
		t.Fatal("TryWritePacket after Close succeeded")
	}
}

// startPair starts both transports of a pair with Sinks; a second Start
// must fail.
func startPair(t *testing.T, pair Pair) (a, b gossip.Transport, sa, sb *Sink) {
	t.Helper()
	a, b = pair(t)
	sa, sb = StartTransport(t, a), StartTransport(t, b)
	for _, tr := range []gossip.Transport{a, b} {
		if tr.Addr() == "" {
			t.Fatal("Addr is empty after Start")
		}
		if err := tr.Start(context.Background(), NewSink()); err == nil {
			t.Fatal("second Start succeeded")
		}
	}
	return a, b, sa, sb
}

func testStreams(t *testing.T, pair Pair) {
	a, b, _, sb := startPair(t, pair)
	ctx, cancel := contextWithTimeout()
	defer cancel()
	c, err := a.DialStream(ctx, b.Addr())
	if err != nil {
		t.Fatalf("DialStream: %v", err)
	}
	defer c.Close()
	// Written concurrently: a pipe's writes wait for the reader.
	werr := make(chan error, 1)
	go func() { werr <- frame.Write(c, []byte("request")) }()
	s := Accept(t, sb)
	defer s.Close()
	got, err := frame.Read(s, 1<<20)
	if err != nil || string(got) != "request" {
		t.Fatalf("read request: %q, %v", got, err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write: %v", err)
	}
	go func() { werr <- frame.Write(s, []byte("reply")) }()
	got, err = frame.Read(c, 1<<20)
	if err != nil || string(got) != "reply" {
		t.Fatalf("read reply: %q, %v", got, err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write reply: %v", err)
	}
	s.Close()
	_ = c.SetReadDeadline(time.Now().Add(Timeout))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after peer close: %v, want EOF", err)
	}
}

// echo serves one request frame with a reply and returns, leaving the
// close to the transport.
type echo struct {
	served atomic.Int64
}

func (*echo) HandlePacket(gossip.Packet) {}

func (e *echo) HandleStream(conn net.Conn) {
	b, err := frame.Read(conn, 1<<20)
	if err != nil {
		return
	}
	_ = frame.Write(conn, append([]byte("re: "), b...))
	e.served.Add(1)
}

func testHandlerReturn(t *testing.T, pair Pair) {
	a, b := pair(t)
	StartTransport(t, a)
	h := &echo{}
	t.Cleanup(func() { b.Close() })
	if err := b.Start(context.Background(), h); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for range 3 {
		ctx, cancel := contextWithTimeout()
		c, err := a.DialStream(ctx, b.Addr())
		cancel()
		if err != nil {
			t.Fatalf("DialStream: %v", err)
		}
		_ = c.SetDeadline(time.Now().Add(Timeout))
		if err := frame.Write(c, []byte("x")); err != nil {
			t.Fatalf("write: %v", err)
		}
		got, err := frame.Read(c, 1<<20)
		if err != nil || string(got) != "re: x" {
			t.Fatalf("reply %q, %v", got, err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("read after the handler returned: %v, want EOF", err)
		}
		c.Close()
	}
	if h.served.Load() != 3 {
		t.Fatalf("served %d streams, want 3", h.served.Load())
	}
}

// blocker reads its stream until it fails, recording when it returns.
type blocker struct {
	entered, returned atomic.Int64
}

func (*blocker) HandlePacket(gossip.Packet) {}

func (b *blocker) HandleStream(conn net.Conn) {
	b.entered.Add(1)
	_ = conn.SetReadDeadline(time.Time{})
	_, _ = io.Copy(io.Discard, conn)
	b.returned.Add(1)
}

func testCloseWaits(t *testing.T, pair Pair) {
	a, b := pair(t)
	StartTransport(t, a)
	h := &blocker{}
	if err := b.Start(context.Background(), h); err != nil {
		b.Close()
		t.Fatalf("Start: %v", err)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 3 {
		ctx, cancel := contextWithTimeout()
		c, err := a.DialStream(ctx, b.Addr())
		cancel()
		if err != nil {
			b.Close()
			t.Fatalf("DialStream: %v", err)
		}
		conns = append(conns, c)
		// Some transports hand a stream over only after its first bytes.
		_, _ = c.Write([]byte("hello"))
	}
	Eventually(t, "3 streams in their handlers", func() bool { return h.entered.Load() == 3 })
	done := make(chan error, 1)
	go func() { done <- b.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(Timeout):
		t.Fatal("Close did not close the open streams")
	}
	if r := h.returned.Load(); r != 3 {
		t.Fatalf("Close returned with %d of 3 handlers still running", 3-r)
	}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(Timeout))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("stream still open after the peer's Close")
		}
	}
}

// counter counts the packets it is handed.
type counter struct{ n atomic.Int64 }

func (c *counter) HandlePacket(gossip.Packet) { c.n.Add(1) }
func (*counter) HandleStream(net.Conn)        {}

// testNoDeliveryAfterClose closes a transport while its peer floods it:
// once Close has returned, its Handler is never called again.
func testNoDeliveryAfterClose(t *testing.T, pair Pair) {
	a, b := pair(t)
	StartTransport(t, b)
	h := &counter{}
	t.Cleanup(func() { a.Close() })
	if err := a.Start(context.Background(), h); err != nil {
		t.Fatalf("Start: %v", err)
	}
	to := a.Addr()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = b.WritePacket(context.Background(), to, []byte("flood"))
			}
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()
	Eventually(t, "the flood to arrive", func() bool { return h.n.Load() > 0 })
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	n := h.n.Load()
	for range 50 {
		_ = b.WritePacket(context.Background(), to, []byte("late"))
	}
	if got := h.n.Load(); got != n {
		t.Fatalf("%d packets handed to the Handler after Close returned", got-n)
	}
}
