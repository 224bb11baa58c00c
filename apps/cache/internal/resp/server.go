package resp

import (
	"context"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"
)

// Executor runs the data commands. Exec is called from one goroutine per
// client, many at once; it returns the encoded reply for a client using
// protocol version proto (2 or 3). args[0] is the command name as sent.
type Executor interface {
	Exec(ctx context.Context, proto int, args [][]byte) []byte
}

// Client is one connection's state.
type Client struct {
	ID      int64
	Name    string
	Proto   int
	Addr    string
	Created time.Time
	LastCmd string

	out Out        // replies of the batch being served
	one [][][]byte // scratch: a batch of the first command
	err error      // why serving ended
}

// Stats are a Server's counters.
type Stats struct {
	Clients         int64  // connected now
	Connections     uint64 // accepted since Serve
	Rejected        uint64 // refused at MaxClients
	Commands        uint64 // commands processed
	ProtocolErrors  uint64 // clients closed for input beyond the limits
	OutputOverflows uint64 // mid-pipeline flushes forced by MaxOutput
}

// Server serves RESP clients. Its methods are safe for concurrent use.
type Server struct {
	exec  Executor
	lim   Limits
	log   *slog.Logger
	ctx   context.Context
	stop  context.CancelFunc
	rs    *redcon.Server
	ln    net.Listener
	wg    sync.WaitGroup
	ids   atomic.Int64
	start time.Time

	clients, commands                    atomic.Int64
	conns, rejected, protoErrs, overflow atomic.Uint64
}

// NewServer returns a server that hands data commands to exec. It opens
// nothing until Serve.
func NewServer(exec Executor, lim Limits, log *slog.Logger) *Server {
	ctx, stop := context.WithCancel(context.Background())
	return &Server{exec: exec, lim: lim.WithDefaults(), log: log, ctx: ctx, stop: stop, start: time.Now()}
}

// Limits returns the limits in force (defaults filled in).
func (s *Server) Limits() Limits { return s.lim }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{Clients: s.clients.Load(), Connections: s.conns.Load(), Rejected: s.rejected.Load(),
		Commands: uint64(s.commands.Load()), ProtocolErrors: s.protoErrs.Load(), OutputOverflows: s.overflow.Load()}
}

type guardListener struct {
	net.Listener
	lim Limits
}

func (l guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &guardedConn{Conn: c, g: guard{lim: l.lim}, lim: l.lim}, nil
}

// Serve serves clients on ln until Close; it returns at once.
func (s *Server) Serve(ln net.Listener) {
	rs := redcon.NewServer("", s.handle, s.accept, s.closed)
	rs.AcceptError = func(err error) { s.log.Warn("resp accept", "err", err) }
	if s.lim.IdleTimeout > 0 {
		rs.SetIdleClose(s.lim.IdleTimeout)
	}
	s.rs, s.ln = rs, ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = rs.Serve(guardListener{Listener: ln, lim: s.lim})
	}()
}

// Close stops accepting, closes every client and waits for the accept
// loop. Handlers still running finish on their own.
func (s *Server) Close() error {
	s.stop()
	if s.ln != nil {
		// Closed here, not only through redcon: redcon's Close does nothing
		// when its accept loop has not started yet.
		_ = s.ln.Close()
		_ = s.rs.Close()
	}
	s.wg.Wait()
	return nil
}

func (s *Server) accept(c redcon.Conn) bool {
	if s.clients.Add(1) > int64(s.lim.MaxClients) {
		s.clients.Add(-1)
		s.rejected.Add(1)
		nc := c.NetConn()
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write(AppendError(nil, "ERR max number of clients reached"))
		return false
	}
	s.conns.Add(1)
	c.SetContext(&Client{ID: s.ids.Add(1), Proto: 2, Addr: c.RemoteAddr(), Created: time.Now()})
	return true
}

func (s *Server) closed(c redcon.Conn, err error) {
	s.clients.Add(-1)
	cl, _ := c.Context().(*Client)
	if isProtocol(err) || (cl != nil && isProtocol(cl.err)) {
		s.protoErrs.Add(1)
	}
}

// handle is called by redcon with a client's first command. The server
// then takes the connection over from redcon (Detach): it serves the
// rest of the input with its own reader, which parses commands in place
// (redcon's copies each command into two new allocations), and writes
// through redcon's Writer. redcon keeps the connection in its set until
// handle returns, so closing the redcon server still closes it.
func (s *Server) handle(c redcon.Conn, cmd redcon.Command) {
	cl, _ := c.Context().(*Client)
	gc, _ := c.NetConn().(*guardedConn)
	if cl == nil || gc == nil {
		c.WriteError("ERR connection not set up by the server")
		_ = c.Close()
		return
	}
	dc := c.Detach()
	cl.err = s.serve(dc, cl, gc, cmd.Args)
	_ = dc.Close()
}

// serve serves a client taken over from redcon, first its first command,
// then each batch of the commands its input holds, until it quits, its
// input ends or breaks the protocol, or a write fails.
func (s *Server) serve(dc redcon.DetachedConn, cl *Client, gc *guardedConn, first [][]byte) error {
	cl.one = append(cl.one[:0], first)
	ok := s.serveBatch(dc, cl, cl.one)
	clear(cl.one)
	rd := &gc.rd
	for ok {
		if err := dc.Flush(); err != nil {
			return err
		}
		rd.reset()
		if rd.r == rd.w {
			// Nothing is buffered, and a client that waited for these
			// replies has not sent more yet: let the other clients'
			// goroutines run first, so that this read more often finds
			// input instead of failing (EAGAIN) and reading again once
			// the poller reports it.
			runtime.Gosched()
		}
		var perr error
		for {
			if perr = rd.parseAll(); perr != nil || len(rd.ends) > 0 {
				break
			}
			if err := gc.fill(readSize); err != nil {
				return err
			}
		}
		if len(rd.ends) > 0 {
			ok = s.serveBatch(dc, cl, rd.commands())
		}
		if perr != nil && ok {
			_ = dc.Flush()
			return gc.fail(perr)
		}
	}
	return nil
}

// serveBatch serves one batch of commands (a client's pipeline, as much
// of it as has arrived): runs of data commands go to the executor
// together (a BatchExecutor may forward them in one trip); replies are
// collected in cl.out and handed to the connection in order. It reports
// whether the client is still being served (not QUIT, no failed write).
func (s *Server) serveBatch(c redcon.DetachedConn, cl *Client, cmds [][][]byte) bool {
	s.commands.Add(int64(len(cmds)))
	out := &cl.out
	out.start(c, s.lim.MaxOutput, &s.overflow)
	defer out.end()
	for i := 0; i < len(cmds); {
		name := Name(cmds[i][0])
		cl.LastCmd = name
		if isConnCommand(name) {
			out.writeOut()
			s.connCommand(c, cl, name, cmds[i])
			if name == "quit" {
				return false
			}
			i++
			continue
		}
		j := i + 1
		for j < len(cmds) && !isConnCommand(Name(cmds[j][0])) {
			j++
		}
		s.execRun(cl, cmds[i:j], out)
		if out.failed {
			return false
		}
		i = j
	}
	out.writeOut()
	return true
}

// BatchExecutor is an Executor that can run a run of pipelined commands
// at once. ExecBatch appends each command's reply to out, in order, with
// the effects of executing the commands in order, and calls out.Mark
// between replies so that the server may write out what it has.
type BatchExecutor interface {
	Executor
	ExecBatch(ctx context.Context, proto int, cmds [][][]byte, out *Out)
}

func (s *Server) execRun(cl *Client, cmds [][][]byte, out *Out) {
	be, ok := s.exec.(BatchExecutor)
	if !ok {
		for _, args := range cmds {
			out.B = append(out.B, s.exec.Exec(s.ctx, cl.Proto, args)...)
			out.Mark()
		}
		return
	}
	be.ExecBatch(s.ctx, cl.Proto, cmds, out)
}
