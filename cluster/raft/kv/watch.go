package kv

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Change is one applied write.
type Change struct {
	Key     string
	Value   []byte // nil for a delete; shared: do not modify
	Version uint64 // the write's raft index
	Deleted bool
}

// Watcher receives the changes to keys under a prefix on C, in log order,
// as this server applies them (on every server, not only the leader).
// When C's buffer is full, further changes are dropped and counted by
// Dropped rather than blocking raft; a watcher that must not miss
// anything re-reads with List after a drop. A snapshot restore (a server
// catching up from far behind) sends no changes either.
type Watcher struct {
	// C delivers changes; it is closed by Close or by the Store's Shutdown.
	C <-chan Change

	c       chan Change
	prefix  string
	dropped atomic.Uint64
	once    sync.Once
	f       *fsm
}

// Watch returns a watcher of the keys that start with prefix ("" for all)
// with the given buffer (default 64 when buffer <= 0). It never blocks.
func (s *Store) Watch(prefix string, buffer int) *Watcher {
	if buffer <= 0 {
		buffer = 64
	}
	c := make(chan Change, buffer)
	w := &Watcher{C: c, c: c, prefix: prefix, f: s.fsm}
	s.fsm.mu.Lock()
	defer s.fsm.mu.Unlock()
	if s.fsm.watchers == nil {
		w.close()
		return w
	}
	s.fsm.watchers[w] = struct{}{}
	return w
}

// Dropped returns the number of changes lost because C was full.
func (w *Watcher) Dropped() uint64 { return w.dropped.Load() }

// Close ends the watch and closes C.
func (w *Watcher) Close() {
	w.f.mu.Lock()
	delete(w.f.watchers, w)
	w.f.mu.Unlock()
	w.close()
}

func (w *Watcher) close() { w.once.Do(func() { close(w.c) }) }

// publishLocked hands a change to the matching watchers without blocking.
// f.mu is held.
func (f *fsm) publishLocked(c Change) {
	for w := range f.watchers {
		if !strings.HasPrefix(c.Key, w.prefix) {
			continue
		}
		select {
		case w.c <- c:
		default:
			w.dropped.Add(1)
		}
	}
}

func (f *fsm) closeWatchers() {
	f.mu.Lock()
	ws := f.watchers
	f.watchers = nil
	f.mu.Unlock()
	for w := range ws {
		w.close()
	}
}
