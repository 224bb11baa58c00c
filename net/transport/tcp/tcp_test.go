package tcp_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/wire/frame"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/tcp"
)

func pair(t *testing.T) (gossip.Transport, gossip.Transport) {
	return tcp.New("127.0.0.1:0"), tcp.New("127.0.0.1:0")
}

func TestContract(t *testing.T) {
	gossiptest.Check(t)
	gossiptest.RunTransport(t, pair, gossiptest.Features{Streams: true, ExactFrom: true})
}

func start(t *testing.T, opts ...transport.Option) (*tcp.Transport, *gossiptest.Sink) {
	t.Helper()
	tr := tcp.New("127.0.0.1:0", opts...)
	return tr, gossiptest.StartTransport(t, tr)
}

func TestPooledConnectionReused(t *testing.T) {
	gossiptest.Check(t)
	a, _ := start(t)
	b, sb := start(t)
	for i := range 50 {
		if err := a.WritePacket(context.Background(), b.Addr(), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if p := gossiptest.Recv(t, sb); p.Data[0] != byte(i) || p.From != a.Addr() {
			t.Fatalf("packet %d: got %v from %s", i, p.Data, p.From)
		}
	}
}

func TestPeerRestartRedials(t *testing.T) {
	gossiptest.Check(t)
	a, _ := start(t)
	b := tcp.New("127.0.0.1:0")
	sb := gossiptest.NewSink()
	if err := b.Start(context.Background(), sb); err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	if err := a.WritePacket(context.Background(), addr, []byte("one")); err != nil {
		t.Fatal(err)
	}
	gossiptest.Recv(t, sb)
	b.Close()
	b2 := tcp.New(addr)
	sb2 := gossiptest.NewSink()
	if err := b2.Start(context.Background(), sb2); err != nil {
		t.Skipf("cannot rebind %s: %v", addr, err)
	}
	defer b2.Close()
	gossiptest.Eventually(t, "a packet through a fresh connection", func() bool {
		a.WritePacket(context.Background(), addr, []byte("two"))
		select {
		case p := <-sb2.Packets():
			return string(p.Data) == "two"
		case <-time.After(20 * time.Millisecond):
			return false
		}
	})
}

func TestIdleConnectionsClosed(t *testing.T) {
	gossiptest.Check(t)
	c := stats.New()
	b, sb := start(t, transport.WithIdleTimeout(100*time.Millisecond), transport.WithCounters(c))
	raw, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write([]byte{'P', 0})
	raw.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
	if _, err := raw.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read on idle connection: %v, want EOF", err)
	}
	a, _ := start(t, transport.WithIdleTimeout(100*time.Millisecond))
	if err := a.WritePacket(context.Background(), b.Addr(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if p := gossiptest.Recv(t, sb); p.From != a.Addr() {
		t.Fatalf("From %q, want %q", p.From, a.Addr())
	}
}

func TestHostileConnections(t *testing.T) {
	gossiptest.Check(t)
	c := stats.New()
	b, sb := start(t, transport.WithCounters(c), transport.WithIOTimeout(200*time.Millisecond), transport.WithIdleTimeout(300*time.Millisecond),
		transport.WithAcceptTimeout(200*time.Millisecond),
		transport.WithMaxFrame(64), transport.WithPacketSize(64))
	send := func(b2 []byte) {
		raw, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.Write(b2)
		raw.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
		io.Copy(io.Discard, raw) // until the transport closes it
	}
	huge := binary.BigEndian.AppendUint32([]byte{'P', 0}, 1<<30)
	send([]byte{'X'})                                       // unknown preamble
	send(nil)                                               // silent: preamble timeout
	send(huge)                                              // oversized frame
	send(append([]byte{'P', 0}, 0, 0, 0, 10, 1, 2))         // truncated frame
	send([]byte{'P', 9, 'a'})                               // truncated preamble
	send(append([]byte{'P', 0}, 0, 0, 0, 0, 0, 0, 0, 1, 7)) // empty frame, then a good one
	s := c.Snapshot()
	if s.Dropped(stats.Decode) < 4 || s.Dropped(stats.Oversize) != 1 {
		t.Fatalf("drops %v: want >=4 decode, 1 oversize", s.Drops)
	}
	if p := gossiptest.Recv(t, sb); len(p.Data) != 1 || p.Data[0] != 7 {
		t.Fatalf("got %v, want [7]", p.Data)
	}
	a, _ := start(t)
	if err := a.WritePacket(context.Background(), b.Addr(), []byte("still works")); err != nil {
		t.Fatal(err)
	}
	gossiptest.Recv(t, sb)
}

func TestMaxConns(t *testing.T) {
	gossiptest.Check(t)
	b, sb := start(t, transport.WithMaxConns(2))
	a, _ := start(t)
	ctx := context.Background()
	s1, err := a.DialStream(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := a.DialStream(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	in1, in2 := gossiptest.Accept(t, sb), gossiptest.Accept(t, sb)
	s3, err := a.DialStream(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	s3.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
	if _, err := s3.Read(make([]byte, 1)); err == nil {
		t.Fatal("third connection was not refused")
	}
	gossiptest.Eventually(t, "an overflow drop", func() bool { return b.Stats().Dropped(stats.Overflow) == 1 })
	in1.Close()
	in1.Close()
	s4, err := a.DialStream(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s4.Close()
	gossiptest.Accept(t, sb).Close()
	in2.Close()
}

func TestWithoutPackets(t *testing.T) {
	gossiptest.Check(t)
	b, _ := start(t, transport.WithoutPackets())
	a, _ := start(t)
	a.WritePacket(context.Background(), b.Addr(), []byte("x"))
	gossiptest.Eventually(t, "a decode drop", func() bool { return b.Stats().Dropped(stats.Decode) == 1 })
}

func TestDialFailure(t *testing.T) {
	gossiptest.Check(t)
	a, _ := start(t, transport.WithIOTimeout(time.Second))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if err := a.WritePacket(context.Background(), addr, []byte("x")); err == nil {
		t.Fatal("WritePacket to a closed port succeeded")
	}
	if _, err := a.DialStream(context.Background(), addr); err == nil {
		t.Fatal("DialStream to a closed port succeeded")
	}
}

func TestPoolEviction(t *testing.T) {
	gossiptest.Check(t)
	a, _ := start(t, transport.WithMaxConns(1))
	b, sb := start(t)
	c, sc := start(t)
	for range 3 {
		for i, dst := range []*tcp.Transport{b, c} {
			if err := a.WritePacket(context.Background(), dst.Addr(), []byte("x")); err != nil {
				t.Fatal(err)
			}
			gossiptest.Recv(t, []*gossiptest.Sink{sb, sc}[i])
		}
	}
}

func TestIPv6(t *testing.T) {
	gossiptest.Check(t)
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("IPv6 loopback unavailable: %v", err)
	}
	ln.Close()
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		return tcp.New("[::1]:0"), tcp.New("[::1]:0")
	}, gossiptest.Features{Streams: true, ExactFrom: true})
}

// TestMaxConnsPerSource: one source address gets at most its share of
// opening and stream connections; cached packet connections leave the
// count once open; a silent connection is closed after the accept timeout.
func TestMaxConnsPerSource(t *testing.T) {
	gossiptest.Check(t)
	b, sb := start(t, transport.WithMaxConnsPerSource(2), transport.WithAcceptTimeout(time.Minute))
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// With an accept timeout of a minute, only the cap closes a silent
	// connection at once.
	refused := func(c net.Conn) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("connection over the per-source cap: read %v, want EOF", err)
		}
		if b.Stats().Dropped(stats.Overflow) == 0 {
			t.Fatal("refusal not counted")
		}
	}
	raw1, _ := dial(), dial()
	refused(dial())
	raw1.Close()
	// A packet connection takes the freed slot while opening, then leaves
	// the count.
	a, _ := start(t)
	gossiptest.Eventually(t, "a packet through", func() bool {
		_ = a.WritePacket(context.Background(), b.Addr(), []byte("p"))
		select {
		case <-sb.Packets():
			return true
		case <-time.After(20 * time.Millisecond):
			return false
		}
	})
	s := dial()
	s.Write([]byte{'S'})
	in := gossiptest.Accept(t, sb) // with raw2: the source's 2
	defer in.Close()
	refused(dial())
}

func TestAcceptTimeout(t *testing.T) {
	gossiptest.Check(t)
	b, _ := start(t, transport.WithAcceptTimeout(50*time.Millisecond), transport.WithIOTimeout(time.Minute))
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("silent connection: read %v, want EOF after the accept timeout", err)
	}
}

// TestPacketConnsPerSource: one source address holds at most a quarter of
// the slots (or the per-source cap, if larger) as packet connections.
func TestPacketConnsPerSource(t *testing.T) {
	gossiptest.Check(t)
	b, _ := start(t, transport.WithMaxConns(8), transport.WithMaxConnsPerSource(1))
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range 3 {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		// Opened one at a time: each leaves the opening count once its
		// preamble is read.
		c.Write([]byte{'P', 0})
		if i < 2 {
			gossiptest.Eventually(t, "the packet connection counted", func() bool {
				_, err := c.Write(frame.Append(nil, []byte{1}))
				return err == nil && b.Stats().PacketsIn >= uint64(i+1)
			})
			continue
		}
		c.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
		if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
			t.Fatalf("third packet connection (limit 8/4 = 2): read %v, want it closed", err)
		}
		if b.Stats().Dropped(stats.Overflow) != 1 {
			t.Fatal("refusal not counted")
		}
	}
}
