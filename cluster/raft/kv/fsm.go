package kv

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/libgossip/libgossip/cluster/raft"
)

// item is a stored value; its bytes are never changed after Apply.
type item struct {
	value   []byte
	version uint64
}

// conflict is the FSM's answer to a compare-and-set that did not match.
type conflict struct{ current uint64 }

// applied is the FSM's answer to a write that took effect.
type applied struct {
	version uint64
	existed bool
}

// fsm is the replicated map. Apply runs on raft's FSM goroutine; reads
// take the lock.
type fsm struct {
	mu       sync.Mutex
	items    map[string]item
	watchers map[*Watcher]struct{}
}

func newFSM() *fsm { return &fsm{items: map[string]item{}, watchers: map[*Watcher]struct{}{}} }

func (f *fsm) Apply(e raft.Entry) any {
	c, err := decodeCommand(e.Data)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, existed := f.items[c.Key]
	switch c.Op {
	case opCAS:
		if cur.version != c.Expected {
			return conflict{current: cur.version}
		}
		fallthrough
	case opPut:
		f.items[c.Key] = item{value: c.Value, version: e.Index}
		f.publishLocked(Change{Key: c.Key, Value: c.Value, Version: e.Index})
	case opDelete:
		if !existed {
			return applied{version: e.Index}
		}
		delete(f.items, c.Key)
		f.publishLocked(Change{Key: c.Key, Version: e.Index, Deleted: true})
	}
	return applied{version: e.Index, existed: existed}
}

func (f *fsm) get(key string) (item, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	return it, ok
}

func (f *fsm) list(prefix string) []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Entry
	for k, it := range f.items {
		if strings.HasPrefix(k, prefix) {
			out = append(out, Entry{Key: k, Value: slices.Clone(it.value), Version: it.version})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

type fsmSnapshot struct{ items map[string]item }

func (f *fsm) Snapshot() (raft.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]item, len(f.items))
	for k, v := range f.items {
		m[k] = v
	}
	return fsmSnapshot{m}, nil
}

// Persist writes the count, then key, value and version of each item,
// sorted by key.
func (s fsmSnapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriter(w)
	keys := make([]string, 0, len(s.items))
	for k := range s.items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	if _, err := bw.Write(b); err != nil {
		return err
	}
	for _, k := range keys {
		it := s.items[k]
		b = b[:0]
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(it.value)))
		b = append(b, it.value...)
		b = binary.AppendUvarint(b, it.version)
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (fsmSnapshot) Release() {}

// Restore replaces the map with a snapshot's. Watchers are not told of the
// keys it changes: after a restore (a server far behind catching up) they
// should re-read with List.
func (f *fsm) Restore(r io.Reader) error {
	items, err := decodeSnapshot(bufio.NewReader(r))
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.items = items
	f.mu.Unlock()
	return nil
}

func decodeSnapshot(r *bufio.Reader) (map[string]item, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("%w: snapshot count: %w", ErrCorrupt, err)
	}
	field := func(limit uint64) ([]byte, error) {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if l > limit {
			return nil, fmt.Errorf("field of %d bytes, limit %d", l, limit)
		}
		b := make([]byte, l)
		_, err = io.ReadFull(r, b)
		return b, err
	}
	items := make(map[string]item, min(n, 1<<16))
	for i := uint64(0); i < n; i++ {
		k, err := field(maxKeyBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: snapshot key %d: %w", ErrCorrupt, i, err)
		}
		v, err := field(maxValueBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: snapshot value %d: %w", ErrCorrupt, i, err)
		}
		ver, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("%w: snapshot version %d: %w", ErrCorrupt, i, err)
		}
		items[string(k)] = item{value: v, version: ver}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing snapshot bytes", ErrCorrupt)
	}
	return items, nil
}
