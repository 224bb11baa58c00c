package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestAppendExecBatch: a batch built in one pass decodes as a batch of
// EncodeExec requests, and DecodeExecInto reuses its scratch space.
func TestAppendExecBatch(t *testing.T) {
	big := make([]byte, 300) // lengths past one uvarint byte
	cmds := [][][]byte{
		{[]byte("SET"), []byte("k"), big},
		{[]byte("GET"), []byte("k")},
	}
	items, err := DecodeBatch(AppendExecBatch(nil, 3, cmds))
	if err != nil || len(items) != 2 {
		t.Fatalf("DecodeBatch: %d items, %v", len(items), err)
	}
	scratch := make([][]byte, 0, 4)
	for i, it := range items {
		if string(it) != string(EncodeExec(3, cmds[i])) {
			t.Fatalf("item %d differs from EncodeExec", i)
		}
		p, args, err := DecodeExecInto(it, scratch)
		if err != nil || p != 3 || len(args) != len(cmds[i]) || string(args[1]) != "k" {
			t.Fatalf("DecodeExecInto item %d: %d %q %v", i, p, args, err)
		}
		if &args[0] != &scratch[:1][0] {
			t.Fatal("DecodeExecInto did not reuse the scratch space")
		}
	}
	replies := []byte("+OK\r\n$1\r\nv\r\n")
	rs, err := DecodeBatch(AppendReplyBatch(nil, replies, []int{5, len(replies)}))
	if err != nil || len(rs) != 2 || string(rs[0]) != "+OK\r\n" || string(rs[1]) != "$1\r\nv\r\n" {
		t.Fatalf("AppendReplyBatch: %q %v", rs, err)
	}
}

// slow answers type 1 once release is closed and type 2 at once, type 2
// on the reading goroutine (Inliner).
type slow struct {
	inlined atomic.Int32
	release chan struct{}
}

func (s *slow) Serve(_ context.Context, _ string, typ byte, p []byte) ([]byte, error) {
	if typ == 1 {
		<-s.release
	}
	if typ == 2 {
		s.inlined.Add(1)
	}
	return p, nil
}

func (s *slow) Inline(typ byte) bool { return typ == 2 }

// serveSlow serves a slow handler on a fresh listener until the test
// ends (its held requests are released first).
func serveSlow(t *testing.T) (*slow, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &slow{release: make(chan struct{})}
	s := NewServer([]byte("secret"), func(string) bool { return true }, h, Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Serve(ln)
	t.Cleanup(func() { _ = s.Close() })
	t.Cleanup(func() { close(h.release) })
	return h, ln
}

// TestCallTimeoutAndInline: a call slower than CallTimeout fails with
// DeadlineExceeded without breaking the connection; inline requests are
// answered.
func TestCallTimeoutAndInline(t *testing.T) {
	h, ln := serveSlow(t)
	p := NewPool(PoolConfig{ID: "a", Secret: []byte("secret"), ConnsPerPeer: 1, CallTimeout: 50 * time.Millisecond})
	defer p.Close()
	ctx := context.Background()
	if _, err := p.Call(ctx, ln.Addr().String(), 1, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call: %v, want DeadlineExceeded", err)
	}
	for i := range 20 {
		b, err := p.Call(ctx, ln.Addr().String(), 2, []byte{byte(i)})
		if err != nil || len(b) != 1 || b[0] != byte(i) {
			t.Fatalf("inline call %d: %q %v", i, b, err)
		}
	}
	if h.inlined.Load() != 20 {
		t.Fatalf("%d inline requests served, want 20", h.inlined.Load())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Call(cctx, ln.Addr().String(), 1, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
}

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestSendLaterWriteNow: frames queued with sendLater wait for writeNow
// and then go out in one write; sendLater frames above maxQueued are
// written out by the writing goroutine instead of blocking the sender.
func TestSendLaterWriteNow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peerSide, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peerSide.Close()
	cc := &countingConn{Conn: nc}
	w := newBatchWriter(cc)
	defer func() {
		w.stop()
		<-w.done
		_ = nc.Close()
	}()
	for i := range 3 {
		if err := w.sendLater(typeOK, uint64(i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := cc.writes.Load(); n != 0 {
		t.Fatalf("%d writes before writeNow, want 0", n)
	}
	if !w.writeNow() {
		t.Fatal("writeNow: connection broken")
	}
	if n := cc.writes.Load(); n != 1 {
		t.Fatalf("%d writes for 3 frames queued with sendLater, want 1", n)
	}
	r := bufio.NewReader(peerSide)
	var hdr [headerLen]byte
	for i := range 3 {
		f, err := readFrame(r, hdr[:], 1<<10)
		if err != nil || f.id != uint64(i) || len(f.payload) != 1 || f.payload[0] != byte(i) {
			t.Fatalf("frame %d: %+v %v", i, f, err)
		}
	}
	// Above maxQueued without writeNow: the writer goroutine makes room.
	big := make([]byte, 1<<20)
	read := make(chan error, 1)
	go func() {
		for range 6 {
			if _, err := readFrame(r, hdr[:], 2<<20); err != nil {
				read <- err
				return
			}
		}
		read <- nil
	}()
	for i := range 6 {
		if err := w.sendLater(typeOK, uint64(i), big); err != nil {
			t.Fatal(err)
		}
	}
	w.writeNow()
	select {
	case err := <-read:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("frames queued with sendLater above maxQueued were not written")
	}
}

// TestInlineAnswersUnderLoad: many concurrent inline requests on one
// connection (answered by the reading goroutine, written when it has no
// whole request left to read) are each answered.
func TestInlineAnswersUnderLoad(t *testing.T) {
	h, ln := serveSlow(t)
	p := NewPool(PoolConfig{ID: "a", Secret: []byte("secret"), ConnsPerPeer: 1})
	defer p.Close()
	const callers, each = 50, 40
	errs := make(chan error, callers)
	for c := range callers {
		go func() {
			for i := range each {
				want := []byte{byte(c), byte(i)}
				b, err := p.Call(context.Background(), ln.Addr().String(), 2, want)
				if err == nil && string(b) != string(want) {
					err = fmt.Errorf("answer %v to %v", b, want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := h.inlined.Load(); got != callers*each {
		t.Fatalf("%d inline requests served, want %d", got, callers*each)
	}
}

// TestInlineAnswerNotHeldAtInflightBound: with the connection's
// requests in flight at MaxInflight, the reading goroutine waits for a
// slot; an answer it served inline before (sent in the same write as
// the requests around it) goes out first, not after the slot frees.
func TestInlineAnswerNotHeldAtInflightBound(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &slow{release: make(chan struct{})}
	s := NewServer([]byte("secret"), func(string) bool { return true }, h, Limits{MaxInflight: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Serve(ln)
	defer s.Close()
	released := false
	defer func() {
		if !released {
			close(h.release)
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	nonce := make([]byte, nonceLen)
	if _, err := io.ReadFull(r, nonce); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(appendFrame(nil, typeHello, 0, append(mac([]byte("secret"), nonce, "a"), "a"...))); err != nil {
		t.Fatal(err)
	}
	var hdr [headerLen]byte
	if f, err := readFrame(r, hdr[:], 4096); err != nil || f.typ != typeOK {
		t.Fatalf("handshake: %+v %v", f, err)
	}
	// A slow request takes the one slot; an inline one; another slow
	// one, for which the reading goroutine waits.
	var b []byte
	b = appendFrame(b, 1, 1, []byte("slow"))
	b = appendFrame(b, 2, 2, []byte("inline"))
	b = appendFrame(b, 1, 3, []byte("slow"))
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := readFrame(r, hdr[:], 4096)
	if err != nil || f.id != 2 || string(f.payload) != "inline" {
		t.Fatalf("first answer: %+v %v, want the inline request's (id 2)", f, err)
	}
	close(h.release)
	released = true
	for range 2 {
		if f, err := readFrame(r, hdr[:], 4096); err != nil || f.typ != typeOK {
			t.Fatalf("slow answer: %+v %v", f, err)
		}
	}
}
