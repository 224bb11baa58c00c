package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/utils/clock"
)

func v(wall int64, node uint64) Version { return Version{TS: clock.Timestamp{Wall: wall}, Node: node} }

func TestLastWriterWins(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Apply("k", Entry{Value: []byte("b"), Version: v(2, 1)}) {
		t.Fatal("first write refused")
	}
	if s.Apply("k", Entry{Value: []byte("a"), Version: v(1, 9)}) {
		t.Fatal("older write applied")
	}
	if s.Apply("k", Entry{Value: []byte("a"), Version: v(2, 1)}) {
		t.Fatal("same version applied twice")
	}
	if !s.Apply("k", Entry{Value: []byte("c"), Version: v(2, 2)}) {
		t.Fatal("tie broken the wrong way")
	}
	if e, ok := s.Get("k"); !ok || string(e.Value) != "c" {
		t.Fatalf("Get = %q %v", e.Value, ok)
	}
	s.Apply("k", Entry{Deleted: true, Version: v(time.Now().UnixNano(), 1)})
	if _, ok := s.Get("k"); ok {
		t.Fatal("deleted key still readable")
	}
	if s.Apply("k", Entry{Value: []byte("old"), Version: v(3, 1)}) {
		t.Fatal("an old copy resurrected a deleted key")
	}
	if e, ok := s.Peek("k"); !ok || !e.Deleted {
		t.Fatal("tombstone missing")
	}
	if s.Drop("k", v(1, 1)) {
		t.Fatal("Drop removed a newer version")
	}
	e, _ := s.Peek("k")
	if !s.Drop("k", e.Version) {
		t.Fatal("Drop of the current version failed")
	}
}

func TestByteBoundAndEviction(t *testing.T) {
	s, err := New(Config{MaxBytes: 64 << 10, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	val := make([]byte, 1000)
	for i := range 1000 {
		s.Apply(fmt.Sprint(i), Entry{Value: val, Version: v(1, 1)})
	}
	st := s.Stats()
	if st.Bytes > 64<<10 {
		t.Fatalf("%d bytes held over a 64 KiB bound", st.Bytes)
	}
	if st.Evictions == 0 || st.Entries+int(st.Evictions) != 1000 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok := s.Peek("999"); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if _, ok := s.Peek("0"); ok {
		t.Fatal("the oldest entry survived")
	}
	if s.Apply("big", Entry{Value: make([]byte, 100<<10), Version: v(1, 1)}) {
		t.Fatal("an entry larger than the bound was stored")
	}
	s.Flush()
	if st := s.Stats(); st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("after Flush: %+v", st)
	}
}

func TestExpiry(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	s, err := New(Config{TombstoneTTL: time.Minute, Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	ms := now.Load()
	s.Apply("a", Entry{Value: []byte("x"), Version: v(ms*1e6, 1), ExpireAt: ms + 1000})
	s.Apply("b", Entry{Value: []byte("x"), Version: v(ms*1e6, 1), ExpireAt: ms + 1000})
	s.Apply("t", Entry{Deleted: true, Version: v(ms*1e6, 1)})
	s.Apply("keep", Entry{Value: []byte("x"), Version: v(ms*1e6, 1)})
	if _, ok := s.Get("a"); !ok {
		t.Fatal("expired early")
	}
	now.Add(1000)
	if _, ok := s.Get("a"); ok {
		t.Fatal("not expired")
	}
	now.Add(61000)
	if n := s.Sweep(); n != 2 { // b expired, t's tombstone aged out
		t.Fatalf("Sweep removed %d, want 2", n)
	}
	st := s.Stats()
	if st.Entries != 1 || st.Expired != 2 {
		t.Fatalf("stats %+v", st)
	}
	var seen []string
	s.Range(func(k string, _ Entry) bool { seen = append(seen, k); return true })
	if len(seen) != 1 || seen[0] != "keep" {
		t.Fatalf("Range saw %q", seen)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{MaxBytes: -1}, {Shards: 5000}, {TombstoneTTL: -1}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v", c, err)
		}
	}
	if v(1, 2).Compare(v(1, 1)) != 1 || v(1, 1).Compare(v(2, 0)) != -1 || !(Version{}).IsZero() {
		t.Fatal("Version order")
	}
}

// BenchmarkMemoryPerKey reports the heap bytes per stored key with 1M
// keys of 100-byte values.
func BenchmarkMemoryPerKey(b *testing.B) {
	for b.Loop() {
		before := heapInUse()
		s, _ := New(Config{MaxBytes: 1 << 30})
		for i := range 1000000 {
			s.Apply(fmt.Sprintf("key:%07d", i), Entry{Value: make([]byte, 100), Version: v(int64(i), 1)})
		}
		after := heapInUse()
		runtime.KeepAlive(s)
		b.ReportMetric(float64(after-before)/1e6, "bytes/key")
		if s.Stats().Entries != 1000000 {
			b.Fatal("evicted")
		}
	}
}
