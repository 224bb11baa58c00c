package kv

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

func defaultLogger() *slog.Logger { return slog.Default() }

// Watcher receives the changes of keys under a prefix on C, in the order
// this member applied them. When C's buffer is full, further changes are
// dropped (counted by Dropped) rather than blocking the store; a watcher
// that must not miss anything re-reads with List after a drop.
type Watcher struct {
	// C delivers changes; it is closed by Close or by the KV's Shutdown.
	C <-chan Change

	c       chan Change
	prefix  string
	dropped atomic.Uint64
	once    sync.Once
	kv      *KV
}

// Watch returns a watcher of the keys that start with prefix ("" for
// all), with the given buffer (default 64 when buffer <= 0). It never
// blocks.
func (k *KV) Watch(prefix string, buffer int) *Watcher {
	if buffer <= 0 {
		buffer = 64
	}
	c := make(chan Change, buffer)
	w := &Watcher{C: c, c: c, prefix: prefix, kv: k}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.state == 2 {
		w.close()
		return w
	}
	k.watchers[w] = struct{}{}
	return w
}

// Dropped returns the number of changes lost because C was full.
func (w *Watcher) Dropped() uint64 { return w.dropped.Load() }

// Close ends the watch and closes C.
func (w *Watcher) Close() {
	w.kv.mu.Lock()
	delete(w.kv.watchers, w)
	w.kv.mu.Unlock()
	w.close()
}

func (w *Watcher) close() { w.once.Do(func() { close(w.c) }) }

// publishLocked hands the store's changes to the watchers without
// blocking. k.mu is held.
func (k *KV) publishLocked() {
	for _, ch := range k.store.Changes() {
		for w := range k.watchers {
			if !strings.HasPrefix(ch.Entry.Key, w.prefix) {
				continue
			}
			select {
			case w.c <- ch:
			default:
				w.dropped.Add(1)
			}
		}
	}
}
