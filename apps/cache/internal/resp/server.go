package resp

import (
	"context"
	"errors"
	"log/slog"
	"net"
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

	out  Out              // replies of the batch being served
	cmds []redcon.Command // scratch: the batch's commands
	args [][][]byte       // scratch: a run's arguments
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
	if errors.Is(err, ErrProtocol) {
		s.protoErrs.Add(1)
	}
}

func (s *Server) handle(c redcon.Conn, cmd redcon.Command) {
	cl, _ := c.Context().(*Client)
	if cl == nil {
		cl = &Client{Proto: 2}
	}
	// Take the rest of the pipeline now: runs of data commands go to the
	// executor together (a BatchExecutor may forward them in one trip);
	// replies are collected in cl.out and written in order.
	cmds := append(append(cl.cmds[:0], cmd), c.ReadPipeline()...)
	defer func() {
		clear(cmds) // drop the commands' buffers
		cl.cmds = cmds[:0]
	}()
	s.commands.Add(int64(len(cmds)))
	out := &cl.out
	out.start(c, s.lim.MaxOutput, &s.overflow)
	for i := 0; i < len(cmds); {
		name := Name(cmds[i].Args[0])
		cl.LastCmd = name
		if isConnCommand(name) {
			out.writeOut()
			s.connCommand(c, cl, name, cmds[i].Args)
			if name == "quit" {
				out.end()
				return
			}
			i++
			continue
		}
		j := i + 1
		for j < len(cmds) && !isConnCommand(Name(cmds[j].Args[0])) {
			j++
		}
		s.execRun(cl, cmds[i:j], out)
		if out.failed {
			out.end()
			return
		}
		i = j
	}
	out.writeOut()
	out.end()
}

// BatchExecutor is an Executor that can run a run of pipelined commands
// at once. ExecBatch appends each command's reply to out, in order, with
// the effects of executing the commands in order, and calls out.Mark
// between replies so that the server may write out what it has.
type BatchExecutor interface {
	Executor
	ExecBatch(ctx context.Context, proto int, cmds [][][]byte, out *Out)
}

func (s *Server) execRun(cl *Client, cmds []redcon.Command, out *Out) {
	be, ok := s.exec.(BatchExecutor)
	if !ok {
		for _, c := range cmds {
			out.B = append(out.B, s.exec.Exec(s.ctx, cl.Proto, c.Args)...)
			out.Mark()
		}
		return
	}
	args := cl.args[:0]
	for _, c := range cmds {
		args = append(args, c.Args)
	}
	be.ExecBatch(s.ctx, cl.Proto, args, out)
	clear(args)
	cl.args = args[:0]
}
