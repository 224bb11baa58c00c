package resp

import (
	"errors"
	"fmt"
	"net"
	"strconv"
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
	// read its replies for this long is closed. Default 30s.
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

// feed checks p; on a violation it returns an error whose text (after
// the prefix) is the reply the client gets.
func (g *guard) feed(p []byte) error {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch g.state {
		case gStart:
			if c == '*' {
				g.state, g.line, g.query = gCount, g.line[:0], 0
			} else {
				g.state, g.n = gInline, 0
				i--
			}
		case gCount, gBulkHdr:
			if c != '\n' {
				if len(g.line) > 20 {
					if g.state == gCount {
						return g.fail("invalid multibulk length")
					}
					return g.fail("invalid bulk length")
				}
				g.line = append(g.line, c)
				continue
			}
			s := string(g.line)
			if len(s) > 0 && s[len(s)-1] == '\r' {
				s = s[:len(s)-1]
			}
			g.line = g.line[:0]
			if g.state == gCount {
				n, err := strconv.Atoi(s)
				if err != nil || n > g.lim.MaxArgs {
					return g.fail("invalid multibulk length")
				}
				if n <= 0 {
					g.state = gStart
					continue
				}
				g.args, g.state = n, gBulkHdr
				continue
			}
			if len(s) == 0 || s[0] != '$' {
				return g.fail("expected '$', got '" + sanitize(s[:min(len(s), 1)]) + "'")
			}
			n, err := strconv.Atoi(s[1:])
			if err != nil || n < 0 || n > g.lim.MaxBulk {
				return g.fail("invalid bulk length")
			}
			g.query += n + len(s) + 4
			if g.query > g.lim.MaxQuery {
				return g.fail("too big query")
			}
			g.body, g.state = n+2, gBody
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
			if c == '\n' {
				g.state = gStart
				continue
			}
			g.n++
			if g.n > g.lim.MaxInline {
				return g.fail("too big inline request")
			}
		}
	}
	return nil
}

// guardedConn checks input before redcon sees it and bounds writes in
// time. Read and Write are each called from redcon's one goroutine per
// connection.
type guardedConn struct {
	net.Conn
	g      guard
	lim    Limits
	failed error
}

func (c *guardedConn) Read(p []byte) (int, error) {
	if c.failed != nil {
		return 0, c.failed
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		if gerr := c.g.feed(p[:n]); gerr != nil {
			c.failed = gerr
			msg := gerr.Error()[len(ErrProtocol.Error())+2:]
			_ = c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = c.Conn.Write(AppendError(nil, "ERR Protocol error: "+msg))
			return 0, gerr
		}
	}
	return n, err
}

func (c *guardedConn) Write(p []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.lim.WriteTimeout))
	return c.Conn.Write(p)
}
