package raft

import (
	"io"

	hraft "github.com/hashicorp/raft"
)

// Entry is one committed command as the FSM sees it.
type Entry struct {
	// Index is the command's raft log index: unique, and growing with every
	// command, so it serves as a fencing token.
	Index uint64
	// Term is the raft term in which the command was written.
	Term uint64
	// Data is the command as given to Apply. The FSM must not keep it past
	// the call without copying it.
	Data []byte
}

// FSM is the user's replicated state machine. Raft calls Apply with every
// committed command, in log order, on every server, from one goroutine;
// Snapshot and Restore are never called concurrently with Apply. Apply must
// be deterministic: the same commands in the same order give the same state
// on every server.
type FSM interface {
	// Apply applies a committed command and returns a value that the
	// leader's Apply call returns as Result.Response (on other servers it is
	// discarded). It must not block for long: raft waits for it.
	Apply(e Entry) any
	// Snapshot captures the state for a snapshot. It should be quick (copy
	// or freeze the state); the writing happens in Snapshot.Persist, which
	// may run concurrently with later Apply calls.
	Snapshot() (Snapshot, error)
	// Restore replaces the whole state with a snapshot's contents, read
	// from r.
	Restore(r io.Reader) error
}

// Snapshot is a point-in-time copy of an FSM's state.
type Snapshot interface {
	// Persist writes the snapshot to w.
	Persist(w io.Writer) error
	// Release is called when raft is done with the snapshot.
	Release()
}

// fsmAdapter presents an FSM to hashicorp/raft.
type fsmAdapter struct{ user FSM }

func (a fsmAdapter) Apply(l *hraft.Log) any {
	if l.Type != hraft.LogCommand {
		return nil
	}
	return a.user.Apply(Entry{Index: l.Index, Term: l.Term, Data: l.Data})
}

func (a fsmAdapter) Snapshot() (hraft.FSMSnapshot, error) {
	s, err := a.user.Snapshot()
	if err != nil {
		return nil, err
	}
	return snapshotAdapter{s}, nil
}

func (a fsmAdapter) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return a.user.Restore(rc)
}

type snapshotAdapter struct{ s Snapshot }

func (s snapshotAdapter) Persist(sink hraft.SnapshotSink) error {
	if err := s.s.Persist(sink); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshotAdapter) Release() { s.s.Release() }
