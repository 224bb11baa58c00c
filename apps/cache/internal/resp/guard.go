package resp

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Limits bound what one client may make the server hold. Zero fields
// mean the defaults.
type Limits struct {
	// MaxClients bounds connected clients; a client beyond it gets
	// "ERR max number of clients reached" and is closed. Default 10,000.
	MaxClients int
	// MaxBulk bounds one argument in bytes. Default 16 MiB (Redis's
	// proto-max-bulk-len is 512 MiB; a cache node holds values in memory).
	MaxBulk int
	// MaxArgs bounds a command's argument count. Default 65,536.
	MaxArgs int
	// MaxQuery bounds one command's total bytes. Default 32 MiB.
	MaxQuery int
	// MaxInline bounds an inline (telnet) command line. Default 64 KiB,
	// as in Redis.
	MaxInline int
	// MaxOutput is the reply bytes buffered for one client before they are
	// written out while the client's pipeline is still being served.
	// Default 1 MiB.
	MaxOutput int
	// WriteTimeout bounds each write to a client; a client that does not
	// read its replies for this long is closed (the deadline is moved at
	// most once a second, so up to a second sooner). Default 30s.
	WriteTimeout time.Duration
	// IdleTimeout closes a client idle this long. Default 0: never (as
	// Redis's timeout 0).
	IdleTimeout time.Duration
}

// WithDefaults returns l with its zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxClients, 10000)
	def(&l.MaxBulk, 16<<20)
	def(&l.MaxArgs, 65536)
	def(&l.MaxQuery, 32<<20)
	def(&l.MaxInline, 64<<10)
	def(&l.MaxOutput, 1<<20)
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 30 * time.Second
	}
	return l
}

// ErrProtocol is returned by a guarded connection's Read after it found
// input beyond the limits; the client has been sent the Redis error.
var ErrProtocol = errors.New("resp: protocol error")

type guardState uint8

const (
	gStart   guardState = iota
	gCount              // reading "*<n>\r\n"
	gBulkHdr            // reading "$<n>\r\n"
	gBody               // skipping a bulk body and its CRLF
	gInline             // reading an inline line
)

// guard tracks the RESP framing of a client's input just far enough to
// bound it. It never buffers input.
type guard struct {
	lim   Limits
	state guardState
	line  []byte // header digits so far
	args  int    // bulks left in the current command
	body  int    // bytes left in the current body (incl. CRLF)
	query int    // bytes of the current command
	n     int    // bytes of the current inline line
}

func (g *guard) fail(msg string) error {
	return fmt.Errorf("%w: %s", ErrProtocol, msg)
}

// parseLen parses a header's number: an optional '-' and decimal
// digits, as Redis reads them.
func parseLen(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// header checks a complete "*<n>" or "$<n>" line (without its LF).
func (g *guard) header(line []byte) error {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if g.state == gCount {
		n, ok := parseLen(line)
		if !ok || n > g.lim.MaxArgs {
			return g.fail("invalid multibulk length")
		}
		if n <= 0 {
			g.state = gStart
			return nil
		}
		g.args, g.state = n, gBulkHdr
		return nil
	}
	if len(line) == 0 || line[0] != '$' {
		return g.fail("expected '$', got '" + sanitize(string(line[:min(len(line), 1)])) + "'")
	}
	n, ok := parseLen(line[1:])
	if !ok || n < 0 || n > g.lim.MaxBulk {
		return g.fail("invalid bulk length")
	}
	g.query += n + len(line) + 4
	if g.query > g.lim.MaxQuery {
		return g.fail("too big query")
	}
	g.body, g.state = n+2, gBody
	return nil
}

// fastHeader checks a header held whole at p[i:] in its common form
// (see the package's fastHeader), as header would; ok false means it
// did not read one (the caller reads it the general way). It returns
// the index of the header's LF.
func (g *guard) fastHeader(p []byte, i int) (lf int, ok bool, err error) {
	if len(g.line) > 0 {
		return 0, false, nil
	}
	if g.state == gCount {
		n, lf, ok := fastHeader(p, i)
		if !ok {
			return 0, false, nil
		}
		if n > g.lim.MaxArgs {
			return 0, false, g.fail("invalid multibulk length")
		}
		if n == 0 {
			g.state = gStart
		} else {
			g.args, g.state = n, gBulkHdr
		}
		return lf, true, nil
	}
	if i >= len(p) || p[i] != '$' {
		return 0, false, nil
	}
	n, lf, ok := fastHeader(p, i+1)
	if !ok {
		return 0, false, nil
	}
	if n > g.lim.MaxBulk {
		return 0, false, g.fail("invalid bulk length")
	}
	g.query += n + (lf - 1 - i) + 4 // as header: the line without CRLF
	if g.query > g.lim.MaxQuery {
		return 0, false, g.fail("too big query")
	}
	g.body, g.state = n+2, gBody
	return lf, true, nil
}

// feed checks p; on a violation it returns an error whose text (after
// the prefix) is the reply the client gets.
func (g *guard) feed(p []byte) error {
	for i := 0; i < len(p); i++ {
		switch g.state {
		case gStart:
			if p[i] == '*' {
				g.state, g.line, g.query = gCount, g.line[:0], 0
			} else {
				g.state, g.n = gInline, 0
				i--
			}
		case gCount, gBulkHdr:
			if lf, ok, err := g.fastHeader(p, i); ok || err != nil {
				if err != nil {
					return err
				}
				i = lf
				continue
			}
			k := bytes.IndexByte(p[i:], '\n')
			end := len(p)
			if k >= 0 {
				end = i + k
			}
			if len(g.line)+end-i > 21 {
				if g.state == gCount {
					return g.fail("invalid multibulk length")
				}
				return g.fail("invalid bulk length")
			}
			if k < 0 {
				g.line = append(g.line, p[i:]...)
				return nil
			}
			line := p[i:end]
			if len(g.line) > 0 {
				g.line = append(g.line, line...)
				line = g.line
			}
			if err := g.header(line); err != nil {
				return err
			}
			g.line = g.line[:0]
			i = end
		case gBody:
			k := min(g.body, len(p)-i)
			g.body -= k
			i += k - 1
			if g.body == 0 {
				g.args--
				if g.args == 0 {
					g.state = gStart
				} else {
					g.state = gBulkHdr
				}
			}
		case gInline:
			k := bytes.IndexByte(p[i:], '\n')
			if k < 0 {
				k = len(p) - i
			} else {
				g.state = gStart
			}
			if g.n += k; g.n > g.lim.MaxInline {
				return g.fail("too big inline request")
			}
			i += k
		}
	}
	return nil
}
