package peer

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// holding holds a connection's reading goroutine in a type 3 request
// (served inline) until release is closed; other types answer at once.
type holding struct{ release chan struct{} }

func (h *holding) Serve(_ context.Context, _ string, typ byte, _ []byte) ([]byte, error) {
	if typ == 3 {
		<-h.release
	}
	return []byte("ok"), nil
}

func (h *holding) Inline(typ byte) bool { return typ == 3 }

// TestPoolSharesOneConnection: calls share one connection while it
// keeps up (their frames can go out in one write), and a call does not
// wait behind a connection stuck with a large frame: another connection
// is dialed for it.
func TestPoolSharesOneConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &holding{release: make(chan struct{})}
	s := NewServer([]byte("secret"), func(string) bool { return true }, h, Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Serve(ln)
	defer s.Close()
	p := NewPool(PoolConfig{ID: "a", Secret: []byte("secret"), ConnsPerPeer: 2})
	defer p.Close()
	ctx := context.Background()
	addr := ln.Addr().String()
	for range 100 {
		if b, err := p.Call(ctx, addr, 4, []byte("x")); err != nil || string(b) != "ok" {
			t.Fatalf("call: %q %v", b, err)
		}
	}
	if n := s.Stats().Accepted; n != 1 {
		t.Fatalf("%d connections for sequential calls, want 1", n)
	}
	held := make(chan error, 1)
	go func() { _, err := p.Call(ctx, addr, 3, nil); held <- err }()
	gossiptest.Eventually(t, "the holding request served", func() bool { return s.Stats().Requests == 101 })
	// The connection's reader is held: a frame larger than the socket
	// buffers stays queued or in the middle of its write.
	big := make(chan error, 1)
	go func() { _, err := p.Call(ctx, addr, 4, make([]byte, 32<<20)); big <- err }()
	answered := false
	deadline := time.Now().Add(20 * time.Second)
	for !answered && time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		b, err := p.Call(cctx, addr, 4, []byte("y"))
		cancel()
		answered = err == nil && string(b) == "ok"
	}
	if !answered {
		t.Fatal("no small call was answered while the connection was stuck")
	}
	close(h.release)
	if err := <-held; err != nil {
		t.Fatalf("held call: %v", err)
	}
	if err := <-big; err != nil {
		t.Fatalf("large call: %v", err)
	}
	if n := s.Stats().Accepted; n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}
