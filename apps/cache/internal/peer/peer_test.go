package peer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/store"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/utils/clock"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

type echo struct{}

func (echo) Serve(_ context.Context, from string, typ byte, p []byte) ([]byte, error) {
	if typ == 9 {
		return nil, errors.New("no such thing")
	}
	return append([]byte(from+":"), p...), nil
}

func serve(t *testing.T, members ...string) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	auth := func(id string) bool {
		for _, m := range members {
			if m == id {
				return true
			}
		}
		return false
	}
	s := NewServer([]byte("secret"), auth, echo{}, Limits{MaxConns: 8, Handshake: time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Serve(ln)
	t.Cleanup(func() { _ = s.Close() })
	return s, ln.Addr().String()
}

func TestCallsAndErrors(t *testing.T) {
	_, addr := serve(t, "a")
	p := NewPool(PoolConfig{ID: "a", Secret: []byte("secret"), ConnsPerPeer: 2})
	defer p.Close()
	ctx := context.Background()
	done := make(chan error, 64)
	for i := range 64 {
		go func() {
			b, err := p.Call(ctx, addr, 1, []byte{byte(i)})
			if err == nil && string(b) != "a:"+string([]byte{byte(i)}) {
				err = errors.New("wrong answer " + string(b))
			}
			done <- err
		}()
	}
	for range 64 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var re *RemoteError
	if _, err := p.Call(ctx, addr, 9, nil); !errors.As(err, &re) || re.Msg != "no such thing" {
		t.Fatalf("handler error: %v", err)
	}
	p.Forget(addr)
	if _, err := p.Call(ctx, addr, 1, nil); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
}

// TestNonMemberRefused: a connection from an id that is not a member, or
// with the wrong secret, or speaking nonsense, is refused and closed;
// members keep being served.
func TestNonMemberRefused(t *testing.T) {
	s, addr := serve(t, "a")
	ctx := context.Background()
	for _, tc := range []struct{ id, secret string }{{"intruder", "secret"}, {"a", "wrong"}} {
		p := NewPool(PoolConfig{ID: tc.id, Secret: []byte(tc.secret)})
		_, err := p.Call(ctx, addr, 1, nil)
		p.Close()
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("%+v: got %v, want ErrRefused", tc, err)
		}
	}
	// Raw garbage, and a frame announcing 4 GB.
	for _, raw := range []string{"GET / HTTP/1.1\r\n\r\n", "\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, raw)
		b, _ := io.ReadAll(c)
		c.Close()
		if !strings.Contains(string(b), "peer:") {
			t.Fatalf("garbage %q: server said %q, want a refusal", raw, b)
		}
	}
	// A silent connection is dropped after the handshake timeout.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("silent connection: %v (want closed by the server)", err)
	}
	c.Close()
	if st := s.Stats(); st.Refused != 5 {
		t.Fatalf("refused %d connections, want 5", st.Refused)
	}
	p := NewPool(PoolConfig{ID: "a", Secret: []byte("secret")})
	defer p.Close()
	if _, err := p.Call(ctx, addr, 1, nil); err != nil {
		t.Fatalf("member after the attacks: %v", err)
	}
}

func TestMaxConns(t *testing.T) {
	s, addr := serve(t, "a")
	var conns []net.Conn
	for range 8 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		buf := make([]byte, nonceLen)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if n, _ := io.ReadAll(c); len(n) != 0 {
		t.Fatalf("the 9th connection got %q", n)
	}
	c.Close()
	for _, c := range conns {
		c.Close()
	}
	if s.Stats().Refused == 0 {
		t.Fatal("no refusal counted")
	}
}

func TestCodecRoundTrip(t *testing.T) {
	proto, args, err := DecodeExec(EncodeExec(3, [][]byte{[]byte("SET"), []byte("k"), {}}))
	if err != nil || proto != 3 || len(args) != 3 || string(args[0]) != "SET" || len(args[2]) != 0 {
		t.Fatalf("exec: %d %q %v", proto, args, err)
	}
	in := []KeyEntry{
		{Key: "a", Entry: store.Entry{Value: []byte("v"), Version: store.Version{TS: clock.Timestamp{Wall: 5, Logical: 2}, Node: 9}, ExpireAt: 77}},
		{Key: "b", Entry: store.Entry{Deleted: true, Version: store.Version{TS: clock.Timestamp{Wall: 6}}}},
	}
	out, err := DecodeEntries(EncodeEntries(in))
	if err != nil || len(out) != 2 || out[0].Key != "a" || string(out[0].Entry.Value) != "v" || out[0].Entry.ExpireAt != 77 ||
		out[0].Entry.Version != in[0].Entry.Version || !out[1].Entry.Deleted || out[1].Entry.Version != in[1].Entry.Version {
		t.Fatalf("entries: %+v %v", out, err)
	}
	ss, err := DecodeStrings(EncodeStrings([]string{"x", "", "yz"}))
	if err != nil || len(ss) != 3 || ss[2] != "yz" {
		t.Fatalf("strings: %q %v", ss, err)
	}
	for _, bad := range [][]byte{nil, {0}, {2, 1}, {9, 9, 9}, append(EncodeStrings([]string{"x"}), 0)} {
		if _, _, err := DecodeExec(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeExec(%x): %v", bad, err)
		}
		if _, err := DecodeEntries(bad); len(bad) > 1 && !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeEntries(%x): %v", bad, err)
		}
	}
	as, err := DecodeReadAnswers(EncodeReadAnswers([]ReadAnswer{{}, {Found: true, Entry: in[0].Entry}, {Found: true, Entry: in[1].Entry}}))
	if err != nil || len(as) != 3 || as[0].Found || !as[1].Found || string(as[1].Entry.Value) != "v" || as[1].Entry.ExpireAt != 77 ||
		as[1].Entry.Version != in[0].Entry.Version || !as[2].Entry.Deleted || as[2].Entry.Version != in[1].Entry.Version {
		t.Fatalf("read answers: %+v %v", as, err)
	}
	// Hostile answers: no input but a well-formed one decodes.
	for _, bad := range [][]byte{nil, {1}, {1, 2}, {1, 1}, {2, 0}, {0x80, 0x80, 0x80, 0x01}, {0, 0},
		EncodeEntries([]KeyEntry{{Key: "k"}})} { // an entry with its key is not an answer
		if _, err := DecodeReadAnswers(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeReadAnswers(%x): %v, want ErrMalformed", bad, err)
		}
	}
}
