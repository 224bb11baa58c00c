package transporttest

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/internal/frame"
)

// Timeout bounds every wait in this package.
const Timeout = 10 * time.Second

// Pair builds two unstarted transports that can reach each other.
type Pair func(t *testing.T) (a, b gossip.Transport)

// Features says which optional behaviours the transports have.
type Features struct {
	// Streams is set when DialStream and Streams work.
	Streams bool
	// ExactFrom is set when a packet's From equals the sender's Addr.
	ExactFrom bool
}

// Run runs the contract tests as subtests of t.
func Run(t *testing.T, pair Pair, f Features) {
	t.Run("packets", func(t *testing.T) {
		a, b := Start(t, pair)
		for i, dir := range [][2]gossip.Transport{{a, b}, {b, a}} {
			src, dst := dir[0], dir[1]
			msg := []byte{1, 2, 3, byte(i)}
			if err := src.WritePacket(context.Background(), dst.Addr(), msg); err != nil {
				t.Fatalf("WritePacket(%s): %v", dst.Addr(), err)
			}
			p := Recv(t, dst)
			if string(p.Data) != string(msg) {
				t.Fatalf("got packet %v, want %v", p.Data, msg)
			}
			if f.ExactFrom && p.From != src.Addr() {
				t.Fatalf("got From %q, want %q", p.From, src.Addr())
			}
			if p.Received.IsZero() {
				t.Fatal("Received is zero")
			}
		}
	})
	t.Run("oversize", func(t *testing.T) {
		a, b := Start(t, pair)
		big := make([]byte, a.PacketSize()+1)
		if err := a.WritePacket(context.Background(), b.Addr(), big); err == nil {
			t.Fatalf("WritePacket of %d bytes (packet size %d) succeeded", len(big), a.PacketSize())
		}
		full := make([]byte, a.PacketSize())
		if err := a.WritePacket(context.Background(), b.Addr(), full); err != nil {
			t.Fatalf("WritePacket of exactly the packet size: %v", err)
		}
		if p := Recv(t, b); len(p.Data) != len(full) {
			t.Fatalf("got %d bytes, want %d", len(p.Data), len(full))
		}
	})
	if f.Streams {
		t.Run("streams", func(t *testing.T) {
			a, b := Start(t, pair)
			ctx, cancel := context.WithTimeout(context.Background(), Timeout)
			defer cancel()
			c, err := a.DialStream(ctx, b.Addr())
			if err != nil {
				t.Fatalf("DialStream: %v", err)
			}
			defer c.Close()
			if err := frame.Write(c, []byte("request")); err != nil {
				t.Fatalf("write: %v", err)
			}
			s := Accept(t, b)
			defer s.Close()
			got, err := frame.Read(s, 1<<20)
			if err != nil || string(got) != "request" {
				t.Fatalf("read request: %q, %v", got, err)
			}
			if err := frame.Write(s, []byte("reply")); err != nil {
				t.Fatalf("write reply: %v", err)
			}
			got, err = frame.Read(c, 1<<20)
			if err != nil || string(got) != "reply" {
				t.Fatalf("read reply: %q, %v", got, err)
			}
			s.Close()
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
				t.Fatalf("read after peer close: %v, want EOF", err)
			}
		})
	}
	t.Run("close", func(t *testing.T) {
		a, b := Start(t, pair)
		if err := a.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, ok := <-a.Packets(); ok {
			t.Fatal("Packets still open after Close")
		}
		if _, ok := <-a.Streams(); ok {
			t.Fatal("Streams still open after Close")
		}
		if err := a.WritePacket(context.Background(), b.Addr(), []byte{1}); err == nil {
			t.Fatal("WritePacket after Close succeeded")
		}
		if _, err := a.DialStream(context.Background(), b.Addr()); err == nil {
			t.Fatal("DialStream after Close succeeded")
		}
		if err := a.Start(context.Background()); err == nil {
			t.Fatal("Start after Close succeeded")
		}
	})
	t.Run("unstarted", func(t *testing.T) {
		a, b := pair(t)
		defer a.Close()
		defer b.Close()
		if err := a.WritePacket(context.Background(), "127.0.0.1:1", []byte{1}); err == nil {
			t.Fatal("WritePacket before Start succeeded")
		}
	})
}

// Start starts both transports of a pair and closes them when t ends.
func Start(t *testing.T, pair Pair) (a, b gossip.Transport) {
	t.Helper()
	a, b = pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	for _, tr := range []gossip.Transport{a, b} {
		t.Cleanup(func() { tr.Close() })
		if err := tr.Start(ctx); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if tr.Addr() == "" {
			t.Fatal("Addr is empty after Start")
		}
		if err := tr.Start(ctx); err == nil {
			t.Fatal("second Start succeeded")
		}
	}
	return a, b
}

// Recv waits for one packet on tr.
func Recv(t testing.TB, tr gossip.Transport) gossip.Packet {
	t.Helper()
	select {
	case p, ok := <-tr.Packets():
		if !ok {
			t.Fatal("Packets closed")
		}
		return p
	case <-time.After(Timeout):
		t.Fatal("no packet received")
	}
	return gossip.Packet{}
}

// Accept waits for one inbound stream on tr.
func Accept(t testing.TB, tr gossip.Transport) net.Conn {
	t.Helper()
	select {
	case c, ok := <-tr.Streams():
		if !ok {
			t.Fatal("Streams closed")
		}
		return c
	case <-time.After(Timeout):
		t.Fatal("no stream accepted")
	}
	return nil
}

// NoPacket fails t if tr delivers a packet within d.
func NoPacket(t testing.TB, tr gossip.Transport, d time.Duration) {
	t.Helper()
	select {
	case p := <-tr.Packets():
		t.Fatalf("unexpected packet from %s: %x", p.From, p.Data)
	case <-time.After(d):
	}
}

// Eventually polls cond until it is true or Timeout passes.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
