package resp

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/tidwall/redcon"
)

// readSize is the buffer a served client's input is read into (as
// redcon's); a command larger than that grows it, and it shrinks back
// once empty.
const readSize = 4 << 10

// maxKeptIn is the largest input buffer kept once it is empty.
const maxKeptIn = 64 << 10

// reader parses a client's commands in place, the way redcon's Reader
// does (same commands, same protocol errors), without copying them: a
// parsed command's arguments are slices of the reader's buffer, valid
// until the reader's buffer is next compacted or grown (room). Inline
// (telnet) lines, which no client library sends, are handed to
// redcon.Parse.
//
// The reader bounds nothing itself: the guard in front of it bounds
// every announced length before the bytes reach the buffer.
type reader struct {
	buf  []byte
	r, w int      // buf[r:w] has been read and not yet parsed
	args [][]byte // the arguments of the commands parsed since reset
	ends []int    // command i is args[ends[i-1]:ends[i]]
	cmds [][][]byte
}

// Protocol errors in redcon's wording (the reply is "ERR Protocol
// error: " and the text).
var (
	errBulkLength      = errors.New("invalid bulk length")
	errMultiBulkLength = errors.New("invalid multibulk length")
	errQuotes          = errors.New("unbalanced quotes in request")
)

// reset forgets the parsed commands (their arguments stay valid until
// the next room).
func (rd *reader) reset() {
	clear(rd.args)
	clear(rd.cmds)
	rd.args, rd.ends, rd.cmds = rd.args[:0], rd.ends[:0], rd.cmds[:0]
}

// commands returns the commands parsed since reset; the slices are the
// reader's until the next reset.
func (rd *reader) commands() [][][]byte {
	start := 0
	rd.cmds = rd.cmds[:0]
	for _, end := range rd.ends {
		rd.cmds = append(rd.cmds, rd.args[start:end:end])
		start = end
	}
	return rd.cmds
}

// batchArgs bounds the arguments of the commands served as one batch:
// parsing stops once they reach it (after at least one command), so a
// buffer grown for a large command cannot turn into millions of parsed
// arguments at once.
const batchArgs = 4096

// parseAll parses the complete commands in the buffer, until their
// arguments reach batchArgs. It stops at the first protocol error,
// returned after the commands before it.
func (rd *reader) parseAll() error {
	for len(rd.args) < batchArgs {
		n, err := rd.parse(rd.buf[rd.r:rd.w])
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		rd.r += n
	}
	return nil
}

// room makes space to read into at buf[w:], moving the unparsed bytes
// to the front or growing the buffer (to at least size bytes). It
// invalidates parsed arguments: call it only after reset.
func (rd *reader) room(size int) {
	if rd.r == rd.w {
		rd.r, rd.w = 0, 0
		if cap(rd.buf) > maxKeptIn {
			rd.buf = nil
		}
	}
	switch {
	case len(rd.buf) < size:
		rd.grow(size)
	case rd.w < len(rd.buf):
	case rd.r > 0:
		rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r = 0
	default:
		rd.grow(2 * len(rd.buf))
	}
}

// grow moves the unparsed bytes to the front of a new buffer of n bytes.
func (rd *reader) grow(n int) {
	b := make([]byte, n)
	rd.w = copy(b, rd.buf[rd.r:rd.w])
	rd.r, rd.buf = 0, b
}

// parse parses the first command in b, appending its arguments, and
// returns the bytes it took: 0 when b holds no complete command yet. An
// empty inline line takes its bytes and adds no command.
func (rd *reader) parse(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if b[0] != '*' {
		return rd.parseInline(b)
	}
	count, i, ok := fastHeader(b, 1)
	if !ok {
		if i = bytes.IndexByte(b, '\n'); i < 0 {
			return 0, nil
		}
		if b[i-1] != '\r' {
			return 0, errMultiBulkLength
		}
		count, ok = atoi(b[1 : i-1])
	}
	if !ok || count <= 0 {
		return 0, errMultiBulkLength
	}
	first := len(rd.args)
	pos := i + 1
	for range count {
		if pos >= len(b) {
			rd.args = rd.args[:first]
			return 0, nil
		}
		if b[pos] != '$' {
			rd.args = rd.args[:first]
			return 0, errors.New("expected '$', got '" + string(b[pos]) + "'")
		}
		size, end, ok := fastHeader(b, pos+1) // end: the header's LF
		if !ok {
			k := bytes.IndexByte(b[pos:], '\n')
			if k < 0 {
				rd.args = rd.args[:first]
				return 0, nil
			}
			end = pos + k
			if b[end-1] != '\r' {
				rd.args = rd.args[:first]
				return 0, errBulkLength
			}
			size, ok = atoi(b[pos+1 : end-1])
		}
		if !ok || size < 0 {
			rd.args = rd.args[:first]
			return 0, errBulkLength
		}
		if size >= len(b)-end-2 {
			rd.args = rd.args[:first]
			return 0, nil
		}
		if b[end+size+1] != '\r' || b[end+size+2] != '\n' {
			rd.args = rd.args[:first]
			return 0, errBulkLength
		}
		rd.args = append(rd.args, b[end+1:end+1+size:end+1+size])
		pos = end + size + 3
	}
	rd.ends = append(rd.ends, len(rd.args))
	return pos, nil
}

// parseInline parses an inline command line with redcon.Parse (which
// copies its arguments).
func (rd *reader) parseInline(b []byte) (int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return 0, nil
	}
	cmd, err := redcon.Parse(b[:i+1])
	if err != nil {
		if err.Error() == "Protocol error: "+errQuotes.Error() {
			return 0, errQuotes
		}
		// An empty or blank line: no command.
		return i + 1, nil
	}
	rd.args = append(rd.args, cmd.Args...)
	rd.ends = append(rd.ends, len(rd.args))
	return i + 1, nil
}

// atoi parses a header's number as redcon does (strconv.Atoi).
func atoi(b []byte) (int, bool) {
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}
