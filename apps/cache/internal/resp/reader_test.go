package resp

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// readReplies reads n reply lines (bulk replies as their header and
// value lines).
func readReplies(t *testing.T, r *bufio.Reader, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", out, err)
		}
		out = append(out, strings.TrimRight(line, "\r\n"))
	}
	return out
}

// TestInputInPieces: a pipeline that arrives a byte at a time, with an
// argument far larger than the read buffer and inline commands among
// RESP ones, is answered command by command in order.
func TestInputInPieces(t *testing.T) {
	addr := startServer(t, Limits{})
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	big := strings.Repeat("k", 100<<10)
	in := "PING\r\n" +
		"*2\r\n$3\r\nGET\r\n$2\r\nab\r\n" +
		"*2\r\n$4\r\nECHO\r\n$3\r\nx y\r\n" +
		"\r\n" + // an empty inline line: no command
		"ECHO \"a b\"\r\n" +
		"*2\r\n$3\r\nGET\r\n$102400\r\n" + big + "\r\n" +
		"*1\r\n$4\r\nPING\r\n"
	go func() {
		for i := 0; i < len(in); i++ {
			if _, err := io.WriteString(c, in[i:i+1]); err != nil {
				return
			}
		}
	}()
	r := bufio.NewReader(c)
	got := readReplies(t, r, 8)
	want := []string{"+PONG", "$2", "xx", "$3", "x y", "$3", "a b", "$102400"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := readReplies(t, r, 2); got[0] != strings.Repeat("x", 100<<10) || got[1] != "+PONG" {
		t.Fatalf("the big reply or the last PONG is wrong (%d bytes, %q)", len(got[0]), got[1])
	}
}

// TestMalformedAfterCommands: commands that arrive with a malformed one
// behind them are answered, then the protocol error, and the client is
// closed; the server counts the error.
func TestMalformedAfterCommands(t *testing.T) {
	for _, tc := range []struct{ name, bad, want string }{
		{"no CRLF after a bulk", "*1\r\n$4\r\nPINGxx\r\n", "-ERR Protocol error: invalid bulk length"},
		{"unbalanced quotes", "ECHO \"a\r\n", "-ERR Protocol error: unbalanced quotes in request"},
		{"empty multibulk", "*0\r\n", "-ERR Protocol error: invalid multibulk length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s := NewServer(echoExec{}, Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.Serve(ln)
			t.Cleanup(func() { _ = s.Close() })
			c := dial(t, ln.Addr().String())
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			// The first command is parsed by redcon, the rest by the reader.
			if _, err := io.WriteString(c, "PING\r\n"); err != nil {
				t.Fatal(err)
			}
			if got := readReplies(t, r, 1); got[0] != "+PONG" {
				t.Fatalf("got %q", got)
			}
			if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"+tc.bad+"PING\r\n"); err != nil {
				t.Fatal(err)
			}
			got := readReplies(t, r, 2)
			if got[0] != "+PONG" || got[1] != tc.want {
				t.Fatalf("got %q, want +PONG then %q", got, tc.want)
			}
			if !closedByServer(c) {
				t.Fatal("the connection stayed open")
			}
			gossiptest.Eventually(t, "the protocol error counted", func() bool { return s.Stats().ProtocolErrors == 1 })
		})
	}
}

// TestMalformedFirstCommand: a malformed first command (before the
// server takes the connection over from redcon) gets the same error.
func TestMalformedFirstCommand(t *testing.T) {
	addr := startServer(t, Limits{})
	c := dial(t, addr)
	if got := roundTrip(t, c, "*1\r\n$4\r\nPINGxx\r\n"); got != "-ERR Protocol error: invalid bulk length" {
		t.Fatalf("got %q", got)
	}
	if !closedByServer(c) {
		t.Fatal("the connection stayed open")
	}
}

// TestLongPipeline: a pipeline of more arguments than one batch takes
// (batchArgs), sent in one write behind a command that grows the read
// buffer, is answered in full and in order.
func TestLongPipeline(t *testing.T) {
	addr := startServer(t, Limits{})
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	const n = 5000 // 10,000 arguments
	var in, want strings.Builder
	in.WriteString("*2\r\n$3\r\nGET\r\n$262144\r\n" + strings.Repeat("k", 256<<10) + "\r\n")
	want.WriteString("$262144|" + strings.Repeat("x", 256<<10) + "|")
	for i := range n {
		key := strings.Repeat("k", 1+i%3)
		in.WriteString("*2\r\n$3\r\nGET\r\n$" + string(rune('0'+len(key))) + "\r\n" + key + "\r\n")
		want.WriteString("$" + string(rune('0'+len(key))) + "|" + strings.Repeat("x", len(key)) + "|")
	}
	go func() { _, _ = io.WriteString(c, in.String()) }()
	got := readReplies(t, bufio.NewReader(c), 2*n+2)
	if strings.Join(got, "|")+"|" != want.String() {
		t.Fatal("the replies differ from the commands' in content or order")
	}
}

// BenchmarkReadBatch measures the guard and the reader on a pipeline of
// 16 SETs (redis-benchmark -P 16): each op is one batch.
func BenchmarkReadBatch(b *testing.B) {
	in := bytes.Repeat([]byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n"), 16)
	g := guard{lim: Limits{}.WithDefaults()}
	var rd reader
	b.ReportAllocs()
	for b.Loop() {
		rd.reset()
		rd.room(readSize)
		if err := g.feed(in); err != nil {
			b.Fatal(err)
		}
		rd.w += copy(rd.buf[rd.w:], in)
		if err := rd.parseAll(); err != nil || len(rd.commands()) != 16 {
			b.Fatal(err, len(rd.ends))
		}
	}
}
