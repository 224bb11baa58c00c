package resp

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// firstRead is the input buffer of a client that has not sent a whole
// command yet (most of an idle client's cost).
const firstRead = 512

// guardedConn is a client's connection: every byte read from it passes
// the guard before it is parsed, and each write is bounded in time.
//
// Input is read into the connection's reader. Until the server takes
// the connection over (Server.handle, on the first command), Read
// serves redcon: it hands redcon the client's input one complete
// command at a time, so that once redcon has parsed the first command
// nothing of the client's input is left inside redcon, and the reader
// goes on from its own buffer. Read and Write are each called from the
// connection's one serving goroutine.
type guardedConn struct {
	net.Conn
	g      guard
	lim    Limits
	failed error
	dl     time.Time // when the write deadline was last set

	rd      reader
	handing int // bytes of the command being handed to redcon, not yet read
}

// Read hands redcon the next complete command of the input (see
// guardedConn).
func (c *guardedConn) Read(p []byte) (int, error) {
	for c.handing == 0 {
		c.rd.reset()
		n, err := c.rd.parse(c.rd.buf[c.rd.r:c.rd.w])
		c.rd.reset()
		if err != nil {
			return 0, c.fail(err)
		}
		if n > 0 {
			c.handing = n
			break
		}
		if err := c.fill(firstRead); err != nil {
			return 0, err
		}
	}
	k := copy(p, c.rd.buf[c.rd.r:c.rd.r+c.handing])
	c.rd.r += k
	c.handing -= k
	return k, nil
}

// fill reads more input into the reader, whose buffer it first makes
// room in (at least size bytes; see reader.room), through the guard.
func (c *guardedConn) fill(size int) error {
	if c.failed != nil {
		return c.failed
	}
	if c.lim.IdleTimeout > 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.lim.IdleTimeout))
	}
	c.rd.room(size)
	n, err := c.Conn.Read(c.rd.buf[c.rd.w:])
	if n > 0 {
		if gerr := c.g.feed(c.rd.buf[c.rd.w : c.rd.w+n]); gerr != nil {
			return c.failGuard(gerr)
		}
		c.rd.w += n
		return nil
	}
	return err
}

// fail answers a protocol error of the reader (err's text, in redcon's
// wording) and returns an error wrapping ErrProtocol; the connection
// reads nothing more.
func (c *guardedConn) fail(err error) error {
	return c.failGuard(fmt.Errorf("%w: %s", ErrProtocol, err.Error()))
}

// failGuard answers gerr (ErrProtocol: <reply text>) and keeps it as the
// connection's read error.
func (c *guardedConn) failGuard(gerr error) error {
	c.failed = gerr
	msg := gerr.Error()[len(ErrProtocol.Error())+2:]
	_ = c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Conn.Write(AppendError(nil, "ERR Protocol error: "+sanitize(msg)))
	return gerr
}

// Write bounds each write by WriteTimeout; the deadline is moved at most
// once a second, so a write may be cut a second early.
func (c *guardedConn) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(c.dl) >= time.Second {
		c.dl = now
		_ = c.Conn.SetWriteDeadline(now.Add(c.lim.WriteTimeout))
	}
	return c.Conn.Write(p)
}

// isProtocol reports whether err ended a client for input beyond the
// limits or malformed input.
func isProtocol(err error) bool { return errors.Is(err, ErrProtocol) }
