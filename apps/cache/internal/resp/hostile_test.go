package resp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

// echoExec answers GET with a value of the key's length in bytes (so a
// test can ask for big replies) and everything else with OK.
type echoExec struct{}

func (echoExec) Exec(_ context.Context, proto int, args [][]byte) []byte {
	if strings.EqualFold(string(args[0]), "get") && len(args) == 2 {
		return AppendBulk(nil, bytes.Repeat([]byte("x"), len(args[1])))
	}
	return OK
}

func startServer(t *testing.T, lim Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(echoExec{}, lim, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Serve(ln)
	t.Cleanup(func() { _ = s.Close() })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roundTrip sends raw and reads one line of reply.
func roundTrip(t *testing.T, c net.Conn, raw string) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the reply to %.40q: %v", raw, err)
	}
	return strings.TrimRight(line, "\r\n")
}

// closedByServer reports whether the server closed c (EOF or reset).
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestHostileInput: each hostile request gets Redis's protocol error and
// loses its connection, allocates nothing like what it announced, and a
// well-behaved client on the same server is served throughout.
func TestHostileInput(t *testing.T) {
	addr := startServer(t, Limits{MaxQuery: 1 << 20})
	good := dial(t, addr)
	cases := []struct {
		name, raw, want string
	}{
		{"2 GB bulk", "*2\r\n$3\r\nSET\r\n$2147483648\r\n", "-ERR Protocol error: invalid bulk length"},
		{"1M arguments", "*1000000\r\n$3\r\nSET\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"negative bulk", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length"},
		{"not a bulk", "*1\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'"},
		{"endless count", "*" + strings.Repeat("9", 100), "-ERR Protocol error: invalid multibulk length"},
		{"command over MaxQuery", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n", "-ERR Protocol error: too big query"},
		{"inline line over 64 KiB", strings.Repeat("a", 70<<10), "-ERR Protocol error: too big inline request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := heap()
			c := dial(t, addr)
			if got := roundTrip(t, c, tc.raw); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if !closedByServer(c) {
				t.Fatal("the connection stayed open")
			}
			if grew := int64(heap()) - int64(before); grew > 8<<20 {
				t.Errorf("heap grew by %d bytes", grew)
			}
			if got := roundTrip(t, good, "*1\r\n$4\r\nPING\r\n"); got != "+PONG" {
				t.Fatalf("the other client got %q", got)
			}
		})
	}
}

// TestMaxArgumentsServed: a command with exactly MaxArgs arguments (the
// default, 65,536) is served.
func TestMaxArgumentsServed(t *testing.T) {
	addr := startServer(t, Limits{})
	c := dial(t, addr)
	var b bytes.Buffer
	b.WriteString("*65536\r\n$4\r\nMSET\r\n")
	for range 65535 {
		b.WriteString("$1\r\nk\r\n")
	}
	if got := roundTrip(t, c, b.String()); got != "+OK" {
		t.Fatalf("got %q", got)
	}
}

// TestPipelineWithoutReading: a client that pipelines requests for large
// replies and never reads them is cut off after WriteTimeout; the server
// holds about MaxOutput for it meanwhile, and serves others.
func TestPipelineWithoutReading(t *testing.T) {
	addr := startServer(t, Limits{WriteTimeout: 500 * time.Millisecond, MaxOutput: 256 << 10})
	before := heap()
	bad := dial(t, addr)
	// 20,000 GETs of a 64 KiB reply each: 1.3 GB of replies if buffered.
	req := "*2\r\n$3\r\nGET\r\n$65536\r\n" + strings.Repeat("k", 65536) + "\r\n"
	done := make(chan error, 1)
	go func() {
		_ = bad.SetWriteDeadline(time.Now().Add(20 * time.Second))
		var err error
		for i := 0; i < 20000 && err == nil; i++ {
			_, err = io.WriteString(bad, req)
		}
		done <- err
	}()
	good := dial(t, addr)
	for range 10 {
		if got := roundTrip(t, good, "*1\r\n$4\r\nPING\r\n"); got != "+PONG" {
			t.Fatalf("the other client got %q", got)
		}
	}
	if err := <-done; err == nil {
		t.Fatal("the server took 1.3 GB of requests without the client reading a reply")
	}
	if grew := int64(heap()) - int64(before); grew > 32<<20 {
		t.Errorf("heap grew by %d bytes", grew)
	}
}

func TestMaxClients(t *testing.T) {
	addr := startServer(t, Limits{MaxClients: 3})
	for range 3 {
		c := dial(t, addr)
		if got := roundTrip(t, c, "PING\r\n"); got != "+PONG" {
			t.Fatalf("got %q", got)
		}
	}
	c := dial(t, addr)
	if got := roundTrip(t, c, "PING\r\n"); got != "-ERR max number of clients reached" {
		t.Fatalf("got %q", got)
	}
}

// TestCloseRightAfterServe: Close straight after Serve returns (redcon's
// accept loop may not have started) and leaks nothing.
func TestCloseRightAfterServe(t *testing.T) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := NewServer(echoExec{}, Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		s.Serve(ln)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
