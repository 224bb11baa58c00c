package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/libgossip/libgossip/cluster/raft"
)

// MaxCommandSize bounds an encoded command, in bytes.
const MaxCommandSize = 256 << 10

// Encode encodes a command for raft.
func Encode(c Command) ([]byte, error) { return json.Marshal(c) }

// Decode decodes a command. Bad input gives an error wrapping ErrDecode.
func Decode(b []byte) (Command, error) {
	var c Command
	if len(b) > MaxCommandSize {
		return c, fmt.Errorf("%w: %d bytes", ErrDecode, len(b))
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	return c, nil
}

// Applied is what FSM.Apply returns to the leader's Apply caller.
type Applied struct {
	Run *Run  // the run created or changed, if any
	Err error // why the command changed nothing, if it did not apply
}

// FSM is the raft state machine holding the Ledger. Its methods are safe
// for concurrent use; View gives read access under its lock.
type FSM struct {
	mu sync.RWMutex
	l  *Ledger
}

// NewFSM returns an FSM with an empty ledger.
func NewFSM() *FSM { return &FSM{l: NewLedger()} }

// Apply implements raft.FSM.
func (f *FSM) Apply(e raft.Entry) any {
	c, err := Decode(e.Data)
	if err != nil {
		return Applied{Err: err}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.l.Apply(e.Index, c)
	return Applied{Run: r, Err: err}
}

// View calls fn with the ledger under the read lock; fn must not keep or
// change it.
func (f *FSM) View(fn func(l *Ledger)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.l)
}

type snapshot []byte

func (s snapshot) Persist(w io.Writer) error { _, err := w.Write(s); return err }
func (snapshot) Release()                    {}

// Snapshot implements raft.FSM.
func (f *FSM) Snapshot() (raft.Snapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := json.Marshal(f.l)
	if err != nil {
		return nil, fmt.Errorf("job: snapshot: %w", err)
	}
	return snapshot(b), nil
}

// Restore implements raft.FSM.
func (f *FSM) Restore(r io.Reader) error {
	l := NewLedger()
	if err := json.NewDecoder(r).Decode(l); err != nil {
		return fmt.Errorf("%w: snapshot: %v", ErrDecode, err)
	}
	if l.Jobs == nil || l.Runs == nil {
		return fmt.Errorf("%w: snapshot without jobs or runs", ErrDecode)
	}
	f.mu.Lock()
	f.l = l
	f.mu.Unlock()
	return nil
}
