package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/tidwall/redcon"
)

// readAll parses b with the reader as a served client's input arrives:
// in pieces of at most chunk bytes, through the guard (lim), each batch
// of commands taken before the next piece is read. It returns the
// commands (copied) and the protocol error, if any.
func readAll(b []byte, chunk int, lim Limits) ([][][]byte, error) {
	c := &guardedConn{g: guard{lim: lim}, lim: lim}
	var out [][][]byte
	for {
		c.rd.reset()
		err := c.rd.parseAll()
		for _, cmd := range c.rd.commands() {
			var cp [][]byte
			for _, a := range cmd {
				cp = append(cp, bytes.Clone(a))
			}
			out = append(out, cp)
		}
		if err != nil {
			return out, fmt.Errorf("%w: %s", ErrProtocol, err.Error())
		}
		if len(c.rd.ends) > 0 {
			continue // a batch's worth: parse on before reading more
		}
		if len(b) == 0 {
			return out, nil
		}
		c.rd.reset()
		c.rd.room(firstRead)
		n := copy(c.rd.buf[c.rd.w:], b[:min(chunk, len(b))])
		if gerr := c.g.feed(c.rd.buf[c.rd.w : c.rd.w+n]); gerr != nil {
			return out, gerr
		}
		c.rd.w += n
		b = b[n:]
	}
}

// redconAll parses b with redcon's Reader: the commands, and its
// protocol error (nil when the input just ends).
func redconAll(b []byte) ([][][]byte, error) {
	rd := redcon.NewReader(bytes.NewReader(b))
	var out [][][]byte
	for {
		cmd, err := rd.ReadCommand()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, cmd.Args)
	}
}

// FuzzReader: on any input the guard lets through, the reader finds the
// same commands and the same protocol error as redcon's Reader, however
// the input is cut into reads (before an error it may find more: redcon
// drops the commands read together with a bad one); on any input at
// all it never panics.
func FuzzReader(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), uint8(3))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nxxx\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), uint8(7))
	f.Add([]byte("PING\r\nset a \"b c\"\r\n\r\n"), uint8(1))
	f.Add([]byte("set a \"b\r\n"), uint8(4))
	f.Add([]byte("*1\r\n$4\r\nPINGxx"), uint8(2))
	f.Add([]byte("*0\r\n"), uint8(9))
	f.Add([]byte("*1\n$4\r\nPING\r\n"), uint8(9))
	f.Add([]byte("*+1\r\n$+4\r\nPING\r\n"), uint8(9))
	f.Add([]byte("*1\r\n:5\r\n"), uint8(9))
	lim := Limits{MaxArgs: 8, MaxBulk: 64, MaxQuery: 256, MaxInline: 128}.WithDefaults()
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		// Unguarded, the reader only has to survive (redcon's parser may
		// not: it loops over any announced count).
		_, _ = readAll(b, len(b)+1, Limits{MaxArgs: 1 << 30, MaxBulk: 1 << 30, MaxQuery: 1 << 30, MaxInline: 1 << 30})
		g := guard{lim: lim}
		if g.feed(b) != nil {
			return
		}
		want, werr := redconAll(b)
		for _, n := range []int{len(b) + 1, 1 + int(chunk)} {
			got, err := readAll(b, n, lim)
			if (err == nil) != (werr == nil) || (err != nil && fmt.Sprint(err)[len(ErrProtocol.Error())+2:] != werr.Error()[len("Protocol error: "):]) {
				t.Fatalf("reads of %d: error %v, redcon's %v", n, err, werr)
			}
			// Before a protocol error, redcon drops the commands that came
			// in the same read; the reader serves them, as Redis does.
			if werr != nil && len(got) > len(want) {
				got = got[:len(want)]
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Fatalf("reads of %d: commands %q, redcon's %q", n, got, want)
			}
		}
	})
}
