package raft

import (
	"context"
	"errors"
	"fmt"
	"time"

	hraft "github.com/hashicorp/raft"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Result is what a committed command returned.
type Result struct {
	// Index is the command's raft log index; it grows with every command
	// and serves as a fencing token.
	Index uint64
	// Response is the value the leader's FSM.Apply returned for it.
	Response any
}

// Apply replicates cmd and returns once a quorum has committed it and the
// leader's FSM has applied it. Only the leader accepts commands: elsewhere
// the error is a *NotLeaderError naming the leader, if one is known.
//
// A nil error means the command is committed and will survive any later
// failover. ErrLeadershipLost, ErrNotRunning during a shutdown, and a
// ctx error mean the outcome is unknown: the command may have been
// committed, so a caller that retries must make its commands idempotent.
// Apply blocks until then or until ctx ends.
func (s *Server) Apply(ctx context.Context, cmd []byte) (res Result, err error) {
	start := time.Now()
	ctx, span := s.tel.tracer.Start(ctx, "libgossip.raft.apply", trace.WithAttributes(attribute.Int("libgossip.raft.command_bytes", len(cmd))))
	defer func() { s.tel.applied(ctx, span, start, res, err) }()
	r, err := s.running()
	if err != nil {
		return Result{}, err
	}
	if r.State() != hraft.Leader {
		return Result{}, s.notLeader(r)
	}
	f := r.Apply(cmd, timeoutOf(ctx))
	if err := s.wait(ctx, f); err != nil {
		return Result{}, s.mapErr(r, err)
	}
	return Result{Index: f.Index(), Response: f.Response()}, nil
}

// Barrier returns once every command committed before it has been applied
// to the leader's FSM. Only the leader accepts it; see Apply for errors.
func (s *Server) Barrier(ctx context.Context) error {
	r, err := s.running()
	if err != nil {
		return err
	}
	return s.mapErr(r, s.wait(ctx, r.Barrier(timeoutOf(ctx))))
}

// VerifyLeader returns nil if this server is still the leader, confirmed
// by a quorum now; otherwise a *NotLeaderError. It blocks for about one
// round trip to a quorum.
func (s *Server) VerifyLeader(ctx context.Context) error {
	r, err := s.running()
	if err != nil {
		return err
	}
	return s.mapErr(r, s.wait(ctx, r.VerifyLeader()))
}

// Leader returns the id and raft address of the leader this server knows
// of, or empty strings when none is known. It does not block; the answer
// may be stale by up to an election timeout.
func (s *Server) Leader() (id, addr string) {
	r, err := s.running()
	if err != nil {
		return "", ""
	}
	a, i := r.LeaderWithID()
	return string(i), string(a)
}

// IsLeader reports whether this server believes it is the leader. Use
// VerifyLeader for a confirmed answer.
func (s *Server) IsLeader() bool {
	r, err := s.running()
	return err == nil && r.State() == hraft.Leader
}

// LeaderCh returns the channel of this server's leadership changes: true
// when it becomes leader, false when it stops being leader. The channel
// holds one value; a change replaces a value not yet read, so a slow
// reader sees the latest state, not every flip: two trues in a row mean
// leadership was lost and won again in between (a leader must then
// re-read its state, e.g. with Barrier). It is closed by Shutdown.
// Every call returns the same channel: read it from one goroutine.
func (s *Server) LeaderCh() <-chan bool { return s.leaderCh }

// ServerInfo is one server of the raft configuration.
type ServerInfo struct {
	ID    string // gossip member id
	Addr  string // raft address
	Voter bool   // false for a non-voter (a new server not yet promoted)
}

// Servers returns the latest raft configuration this server knows,
// including entries not yet committed.
func (s *Server) Servers(ctx context.Context) ([]ServerInfo, error) {
	r, err := s.running()
	if err != nil {
		return nil, err
	}
	f := r.GetConfiguration()
	if err := s.wait(ctx, f); err != nil {
		return nil, s.mapErr(r, err)
	}
	var out []ServerInfo
	for _, c := range f.Configuration().Servers {
		out = append(out, ServerInfo{ID: string(c.ID), Addr: string(c.Address), Voter: c.Suffrage == hraft.Voter})
	}
	return out, nil
}

// AppliedIndex returns the index of the last log entry raft has handed to
// this server's FSM (0 when stopped). Raft records it just after the
// hand-off, so it may lag what Apply has already returned by a moment.
func (s *Server) AppliedIndex() uint64 {
	r, err := s.running()
	if err != nil {
		return 0
	}
	return r.AppliedIndex()
}

func timeoutOf(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if t := time.Until(d); t > 0 {
			return t
		}
		return time.Nanosecond
	}
	return 0
}

// wait waits for a raft future or ctx. The waiting goroutine ends when raft
// resolves the future, which it does for all of them at shutdown; Shutdown
// waits for it.
func (s *Server) wait(ctx context.Context, f hraft.Future) error {
	s.mu.Lock()
	if s.state != 1 {
		s.mu.Unlock()
		return ErrNotRunning
	}
	s.calls.Add(1)
	s.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		defer s.calls.Done()
		done <- f.Error()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) notLeader(r *hraft.Raft) error {
	a, i := r.LeaderWithID()
	return &NotLeaderError{LeaderID: string(i), LeaderAddr: string(a)}
}

func (s *Server) mapErr(r *hraft.Raft, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hraft.ErrNotLeader):
		return s.notLeader(r)
	case errors.Is(err, hraft.ErrLeadershipLost), errors.Is(err, hraft.ErrLeadershipTransferInProgress):
		return ErrLeadershipLost
	case errors.Is(err, hraft.ErrRaftShutdown):
		return ErrNotRunning
	case errors.Is(err, hraft.ErrEnqueueTimeout):
		return fmt.Errorf("raft: %w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// snapshots returns how many snapshots are on disk (for tests).
func (s *Server) snapshots() (int, error) {
	if _, err := s.running(); err != nil {
		return 0, err
	}
	list, err := s.snaps.List()
	return len(list), err
}

// Leave prepares this server's graceful departure. If it leads, it hands
// leadership to the most up-to-date voter and waits for the handover, so
// the cluster does not sit out an election timeout; otherwise it does
// nothing. Then leave gossip (gossip.Node.Leave): the leader removes a
// server that left from the configuration. Leave blocks for about one
// round trip, or until ctx ends.
func (s *Server) Leave(ctx context.Context) error {
	r, err := s.running()
	if err != nil {
		return err
	}
	if r.State() != hraft.Leader {
		return nil
	}
	return s.mapErr(r, s.wait(ctx, r.LeadershipTransfer()))
}
