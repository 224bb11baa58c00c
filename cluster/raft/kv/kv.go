package kv

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip"
)

// Errors. Raft's own (raft.ErrNotLeader, raft.ErrLeadershipLost,
// raft.ErrNotRunning) pass through wrapped.
var (
	// ErrConflict: a CompareAndSet found another version.
	ErrConflict = errors.New("kv: version conflict")
	// ErrKeyTooLarge: an empty key or one over the key size limit.
	ErrKeyTooLarge = errors.New("kv: key empty or too large")
	// ErrValueTooLarge: a value over the value size limit.
	ErrValueTooLarge = errors.New("kv: value too large")
	// ErrCorrupt: a command or snapshot that does not decode.
	ErrCorrupt = errors.New("kv: corrupt data")
	// ErrConfig wraps configuration errors from New.
	ErrConfig = errors.New("kv: invalid config")
)

// ConflictError is returned by CompareAndSet when the key's version is not
// the expected one. It matches ErrConflict.
type ConflictError struct {
	Key     string
	Current uint64 // the key's version when the command applied; 0: absent
}

// Error names the key and its current version.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: key %q is at version %d", ErrConflict, e.Key, e.Current)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Entry is one key with its value and version.
type Entry struct {
	Key   string
	Value []byte
	// Version is the raft index of the write that set the value: it grows
	// with every write to the cluster, so a larger version is a later
	// write.
	Version uint64
}

// Defaults of the options.
const (
	DefaultMaxKeySize   = 512
	DefaultMaxValueSize = 512 << 10
)

type options struct {
	maxKey, maxValue int
	raft             []raft.Option
}

// Option configures a Store.
type Option func(*options)

// WithMaxKeySize bounds keys, in bytes (default 512, at most 64 KiB).
func WithMaxKeySize(n int) Option { return func(o *options) { o.maxKey = n } }

// WithMaxValueSize bounds values, in bytes (default 512 KiB, at most
// 16 MiB).
func WithMaxValueSize(n int) Option { return func(o *options) { o.maxValue = n } }

// WithRaftOptions passes options to the underlying raft.Server.
func WithRaftOptions(opts ...raft.Option) Option {
	return func(o *options) { o.raft = append(o.raft, opts...) }
}

// Store is a strongly consistent key/value store replicated by Raft over
// gossip membership. All methods are safe for concurrent use.
type Store struct {
	srv *raft.Server
	fsm *fsm
	o   options
}

// New returns a Store on the gossip node, keeping its raft data under
// dataDir. It validates the options and starts nothing; errors wrap
// ErrConfig or raft.ErrConfig.
func New(node *gossip.Node, dataDir string, opts ...Option) (*Store, error) {
	o := options{maxKey: DefaultMaxKeySize, maxValue: DefaultMaxValueSize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxKey < 1 || o.maxKey > maxKeyBytes {
		return nil, fmt.Errorf("%w: key size limit %d outside [1, %d]", ErrConfig, o.maxKey, maxKeyBytes)
	}
	if o.maxValue < 0 || o.maxValue > maxValueBytes {
		return nil, fmt.Errorf("%w: value size limit %d outside [0, %d]", ErrConfig, o.maxValue, maxValueBytes)
	}
	f := newFSM()
	srv, err := raft.New(node, f, dataDir, o.raft...)
	if err != nil {
		return nil, err
	}
	return &Store{srv: srv, fsm: f, o: o}, nil
}

// Start starts the raft server (see raft.Server.Start).
func (s *Store) Start(ctx context.Context) error { return s.srv.Start(ctx) }

// Shutdown stops the raft server and closes every watcher.
func (s *Store) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.fsm.closeWatchers()
	return err
}

// Server returns the raft server under the store, for its leadership
// channel, Leader and Servers.
func (s *Store) Server() *raft.Server { return s.srv }

func (s *Store) checkKey(key string) error {
	if len(key) == 0 || len(key) > s.o.maxKey {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrKeyTooLarge, len(key), s.o.maxKey)
	}
	return nil
}

func (s *Store) write(ctx context.Context, c command) (applied, error) {
	if err := s.checkKey(c.Key); err != nil {
		return applied{}, err
	}
	if len(c.Value) > s.o.maxValue {
		return applied{}, fmt.Errorf("%w: %d bytes, limit %d", ErrValueTooLarge, len(c.Value), s.o.maxValue)
	}
	res, err := s.srv.Apply(ctx, c.encode())
	if err != nil {
		return applied{}, fmt.Errorf("kv: %w", err)
	}
	switch r := res.Response.(type) {
	case applied:
		return r, nil
	case conflict:
		return applied{}, &ConflictError{Key: c.Key, Current: r.current}
	case error:
		return applied{}, r
	}
	return applied{}, fmt.Errorf("%w: unexpected response %T", ErrCorrupt, res.Response)
}

// Put sets key to value and returns the write's version, once a quorum has
// committed it. Only the leader accepts writes: elsewhere the error wraps
// a *raft.NotLeaderError naming the leader. Errors also wrap
// ErrKeyTooLarge or ErrValueTooLarge (nothing written), or
// raft.ErrLeadershipLost / a ctx error (outcome unknown). The value is
// copied.
func (s *Store) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	a, err := s.write(ctx, command{Op: opPut, Key: key, Value: slices.Clone(value)})
	return a.version, err
}

// Delete removes key and returns the write's version. Deleting a missing
// key succeeds and changes nothing. Errors as for Put.
func (s *Store) Delete(ctx context.Context, key string) (uint64, error) {
	a, err := s.write(ctx, command{Op: opDelete, Key: key})
	return a.version, err
}

// CompareAndSet sets key to value only if its version is still expected
// (0: only if the key does not exist), and returns the new version. When
// the version differs the error is a *ConflictError with the current one.
// The comparison happens when the command applies, in log order, so two
// racing CompareAndSets with the same expected version never both
// succeed. Errors as for Put otherwise.
func (s *Store) CompareAndSet(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	a, err := s.write(ctx, command{Op: opCAS, Key: key, Value: slices.Clone(value), Expected: expected})
	return a.version, err
}

// barrier makes the following local read linearizable: it returns once
// this server, still the leader, has applied every write committed before
// the call.
func (s *Store) barrier(ctx context.Context) error {
	if err := s.srv.Barrier(ctx); err != nil {
		return fmt.Errorf("kv: %w", err)
	}
	return nil
}

// Get returns key's value and version, or ok false when it does not
// exist. The read is linearizable: it reflects every write acknowledged
// before Get was called. It costs a raft barrier (one round to a quorum)
// and works only on the leader (see Put's errors); use GetLocal for a
// cheap read on any server. The value is the caller's.
func (s *Store) Get(ctx context.Context, key string) (value []byte, version uint64, ok bool, err error) {
	if err := s.barrier(ctx); err != nil {
		return nil, 0, false, err
	}
	v, ver, ok := s.GetLocal(key)
	return v, ver, ok, nil
}

// List returns the entries whose key starts with prefix, sorted by key,
// linearizable like Get. The caller owns the slice and values.
func (s *Store) List(ctx context.Context, prefix string) ([]Entry, error) {
	if err := s.barrier(ctx); err != nil {
		return nil, err
	}
	return s.fsm.list(prefix), nil
}

// GetLocal reads this server's copy without contacting anyone. It works on
// every server, never blocks, and sees a prefix of the committed writes:
// possibly stale, but never going back in time on one server.
func (s *Store) GetLocal(key string) (value []byte, version uint64, ok bool) {
	it, ok := s.fsm.get(key)
	return slices.Clone(it.value), it.version, ok
}

// ListLocal is List on this server's copy, with GetLocal's guarantee.
func (s *Store) ListLocal(prefix string) []Entry { return s.fsm.list(prefix) }
