package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func echo(ctx context.Context, from, method string, body []byte) ([]byte, error) {
	switch method {
	case "echo":
		return body, nil
	case "wait":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("no such method")
}

func startServer(t *testing.T, h Handler, opts ...Option) *Server {
	t.Helper()
	s, err := NewServer(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

func TestCall(t *testing.T) {
	s := startServer(t, echo)
	c, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := bytes.Repeat([]byte("x"), 1<<20)
	for _, body := range [][]byte{nil, []byte("hi"), big} {
		got, err := c.Call(ctx, s.Addr(), "echo", body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("echo %d bytes: got %d bytes, %v", len(body), len(got), err)
		}
	}
	if _, err := c.Call(ctx, s.Addr(), "nope", nil); !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "no such method") {
		t.Errorf("unknown method: %v", err)
	}
	if _, err := c.Call(ctx, s.Addr(), strings.Repeat("m", MaxMethodLen+1), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("long method: %v", err)
	}
	if _, err := c.Call(ctx, s.Addr(), "echo", make([]byte, DefaultMaxFrame)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized request: %v", err)
	}
}

func TestServerRejectsOversizedFrame(t *testing.T) {
	s := startServer(t, echo, WithMaxFrame(1024))
	c, _ := NewClient() // larger client limit: the server must refuse
	_, err := c.Call(context.Background(), s.Addr(), "echo", make([]byte, 2048))
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("got %v, want a remote frame-too-large error", err)
	}
}

func TestClientBoundsResponse(t *testing.T) {
	s := startServer(t, echo)
	c, _ := NewClient(WithMaxFrame(128))
	if _, err := c.Call(context.Background(), s.Addr(), "echo", make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	c3, _ := NewClient(WithMaxFrame(64))
	if _, err := c3.Call(context.Background(), s.Addr(), "echo", make([]byte, 60)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("got %v, want ErrFrameTooLarge", err)
	}
}

// TestConnectionLimits: a peer holding connections open (never sending a
// request) exhausts its own per-source share, and a further call is
// refused with ErrBusy rather than queued.
func TestConnectionLimits(t *testing.T) {
	s := startServer(t, echo, WithMaxConns(100, 2))
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if _, err := ReadFrame(c, 16); err != nil { // greeting: accepted
			t.Fatal(err)
		}
	}
	c, _ := NewClient()
	if _, err := c.Call(context.Background(), s.Addr(), "echo", nil); !errors.Is(err, ErrBusy) {
		t.Errorf("third connection: %v, want ErrBusy", err)
	}
	if s.Refused() != 1 {
		t.Errorf("Refused = %d, want 1", s.Refused())
	}
	for _, h := range held {
		h.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Call(context.Background(), s.Addr(), "echo", nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slots never freed: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// TestSlowlorisCutOff: a peer that claims a large frame and trickles bytes
// is disconnected at the read deadline.
func TestSlowlorisCutOff(t *testing.T) {
	s := startServer(t, echo, WithTimeouts(200*time.Millisecond, time.Second, time.Second))
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := ReadFrame(conn, 16); err != nil {
		t.Fatal(err)
	}
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], 1<<20)
	conn.Write(h[:])
	conn.Write([]byte{kindRequest})
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("read: %v", err)
	}
	// ReadAll returned: the server closed the connection.
}

func TestHandlerTimeoutAndShutdown(t *testing.T) {
	s := startServer(t, echo, WithTimeouts(time.Second, 100*time.Millisecond, time.Second))
	c, _ := NewClient()
	if _, err := c.Call(context.Background(), s.Addr(), "wait", nil); !errors.Is(err, ErrRemote) {
		t.Errorf("handler timeout: %v", err)
	}
	// A call in flight ends when the caller's context does.
	s2 := startServer(t, echo)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Call(ctx, s2.Addr(), "wait", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("caller deadline: %v", err)
	}
	if err := s2.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(context.Background(), "127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("start after shutdown: %v", err)
	}
	if _, err := c.Call(context.Background(), s2.Addr(), "echo", nil); err == nil {
		t.Error("call to a shut down server succeeded")
	}
}

func TestConcurrentCalls(t *testing.T) {
	s := startServer(t, echo)
	c, _ := NewClient()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			body := bytes.Repeat([]byte{byte(i)}, 1000*i)
			got, err := c.Call(context.Background(), s.Addr(), "echo", body)
			if err == nil && !bytes.Equal(got, body) {
				err = errors.New("echo mismatch")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestOptionsValidated(t *testing.T) {
	if _, err := NewServer(echo, WithMaxFrame(1)); err == nil {
		t.Error("tiny frame limit accepted")
	}
	if _, err := NewServer(nil); err == nil {
		t.Error("nil handler accepted")
	}
	if _, err := NewClient(WithTimeouts(0, 1, 1)); err == nil {
		t.Error("zero timeout accepted")
	}
	s, _ := NewServer(echo)
	if s.Addr() != "" {
		t.Error("Addr before Start")
	}
	if err := s.Start(context.Background(), "256.0.0.1:0"); err == nil {
		t.Error("bad address accepted")
	}
}

func TestTLS(t *testing.T) {
	srv, cli := testTLSConfigs(t)
	s := startServer(t, echo, WithTLS(srv))
	c, _ := NewClient(WithTLS(cli))
	got, err := c.Call(context.Background(), s.Addr(), "echo", []byte("secret"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("TLS call: %q, %v", got, err)
	}
	plain, _ := NewClient(WithTimeouts(200*time.Millisecond, time.Second, time.Second))
	if _, err := plain.Call(context.Background(), s.Addr(), "echo", nil); err == nil {
		t.Error("plain client reached a TLS server")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, p := range [][]byte{nil, {kindRequest}, {kindResponse, 1}, {kindRequest, 0}, {kindRequest, 5, 'a'}} {
		if _, _, err := DecodeRequest(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeRequest(%v) = %v", p, err)
		}
	}
	for _, p := range [][]byte{nil, {9}, append([]byte{kindError}, make([]byte, MaxErrorLen+1)...)} {
		if _, err := DecodeResponse(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeResponse(%v) = %v", p, err)
		}
	}
	if _, err := DecodeResponse([]byte{kindBusy}); !errors.Is(err, ErrBusy) {
		t.Error("busy")
	}
	if _, err := DecodeResponse(encodeError(kindError, "a\nb")); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("error text not sanitized: %v", err)
	}
	if err := decodeGreeting([]byte{7}); !errors.Is(err, ErrMalformed) {
		t.Error("greeting")
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 5, 1}), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short frame: %v", err)
	}
}
