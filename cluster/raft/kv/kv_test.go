package kv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// onLeader runs op on the current leader, again on whichever server leads
// next while the error says leadership moved (a loaded machine can make a
// 200ms-timeout cluster change leaders), and returns op's last error.
func onLeader(t *testing.T, c *cluster, op func(l *Store) error) error {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := op(c.leader())
		if err == nil || !(errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost)) || time.Now().After(deadline) {
			return err
		}
	}
}

func TestStoreOperations(t *testing.T) {
	c := newCluster(t)
	c.start("a", "", 3)
	c.start("b", "a", 3)
	c.start("c", "a", 3)
	c.leader()
	w := c.stores["b"].Watch("cfg/", 16) // watches work on any server
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var v1, v2 uint64
	if err := onLeader(t, c, func(l *Store) (err error) { v1, err = l.Put(ctx, "cfg/a", []byte("1")); return err }); err != nil || v1 == 0 {
		t.Fatalf("Put: %d, %v", v1, err)
	}
	if err := onLeader(t, c, func(l *Store) error { _, err := l.Put(ctx, "other", []byte("x")); return err }); err != nil {
		t.Fatal(err)
	}
	var val []byte
	var ver uint64
	var ok bool
	if err := onLeader(t, c, func(l *Store) (err error) { val, ver, ok, err = l.Get(ctx, "cfg/a"); return err }); err != nil || !ok || string(val) != "1" || ver != v1 {
		t.Fatalf("Get = %q %d %v %v, want 1 %d", val, ver, ok, err, v1)
	}
	if err := onLeader(t, c, func(l *Store) (err error) { _, _, ok, err = l.Get(ctx, "missing"); return err }); ok || err != nil {
		t.Fatalf("Get(missing) = %v, %v", ok, err)
	}
	// Compare-and-set: the right version wins, a stale one conflicts.
	err := onLeader(t, c, func(l *Store) (err error) { v2, err = l.CompareAndSet(ctx, "cfg/a", v1, []byte("2")); return err })
	var ce *ConflictError
	if errors.As(err, &ce) {
		// An attempt whose outcome was unknown (leadership lost) did apply,
		// so the retry conflicts with our own write: check it is ours.
		if v, _, _ := c.leader().GetLocal("cfg/a"); string(v) == "2" {
			v2, err = ce.Current, nil
		}
	}
	if err != nil || v2 <= v1 {
		t.Fatalf("CAS: %d, %v", v2, err)
	}
	err = onLeader(t, c, func(l *Store) error { _, err := l.CompareAndSet(ctx, "cfg/a", v1, []byte("3")); return err })
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Current != v2 || !strings.Contains(err.Error(), "cfg/a") {
		t.Fatalf("stale CAS: %v, want conflict at %d", err, v2)
	}
	err = onLeader(t, c, func(l *Store) error { _, err := l.CompareAndSet(ctx, "cfg/new", 0, []byte("n")); return err })
	if v, _, _ := c.leader().GetLocal("cfg/new"); errors.Is(err, ErrConflict) && string(v) == "n" {
		err = nil // as above: our own earlier attempt applied
	}
	if err != nil {
		t.Fatalf("CAS create: %v", err)
	}
	if err := onLeader(t, c, func(l *Store) error { _, err := l.CompareAndSet(ctx, "cfg/new", 0, []byte("n")); return err }); !errors.Is(err, ErrConflict) {
		t.Fatalf("CAS create twice: %v", err)
	}
	var list []Entry
	if err := onLeader(t, c, func(l *Store) (err error) { list, err = l.List(ctx, "cfg/"); return err }); err != nil || len(list) != 2 || list[0].Key != "cfg/a" || string(list[0].Value) != "2" || list[1].Key != "cfg/new" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	var dv uint64
	if err := onLeader(t, c, func(l *Store) (err error) { dv, err = l.Delete(ctx, "cfg/new"); return err }); err != nil || dv == 0 {
		t.Fatalf("Delete: %v", err)
	}
	if err := onLeader(t, c, func(l *Store) error { _, err := l.Delete(ctx, "cfg/never"); return err }); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}

	// Limits are checked before anything is proposed, on any server.
	l := c.stores["a"]
	if _, err := l.Put(ctx, "", nil); !errors.Is(err, ErrKeyTooLarge) {
		t.Errorf("empty key: %v", err)
	}
	if _, err := l.Put(ctx, strings.Repeat("k", DefaultMaxKeySize+1), nil); !errors.Is(err, ErrKeyTooLarge) {
		t.Errorf("long key: %v", err)
	}
	if _, err := l.Put(ctx, "k", make([]byte, DefaultMaxValueSize+1)); !errors.Is(err, ErrValueTooLarge) {
		t.Errorf("large value: %v", err)
	}

	// Followers refuse writes and linearizable reads, naming the leader,
	// but serve local reads and watches.
	var f *Store
	lead := c.leader()
	for _, s := range c.stores {
		if s != lead {
			f = s
			break
		}
	}
	var nle *raft.NotLeaderError
	if _, err := f.Put(ctx, "cfg/a", []byte("f")); !errors.As(err, &nle) || !errors.Is(err, raft.ErrNotLeader) {
		t.Errorf("Put on follower: %v", err)
	}
	if _, _, _, err := f.Get(ctx, "cfg/a"); !errors.Is(err, raft.ErrNotLeader) {
		t.Errorf("Get on follower: %v", err)
	}
	if _, err := f.List(ctx, ""); !errors.Is(err, raft.ErrNotLeader) {
		t.Errorf("List on follower: %v", err)
	}
	gossiptest.WaitFor(t, 10*time.Second, "follower caught up", func() bool {
		v, ver, ok := f.GetLocal("cfg/a")
		_, _, gone := f.GetLocal("cfg/new")
		return ok && string(v) == "2" && ver == v2 && !gone && len(f.ListLocal("cfg/")) == 1
	})
	// Retries after an unknown outcome may apply a write twice: the
	// watcher then sees it twice in a row.
	var got []string
	for len(got) == 0 || got[len(got)-1] != "cfg/new=/true" {
		select {
		case ch := <-w.C:
			s := fmt.Sprintf("%s=%s/%v", ch.Key, ch.Value, ch.Deleted)
			if len(got) == 0 || got[len(got)-1] != s {
				got = append(got, s)
			}
		case <-ctx.Done():
			t.Fatalf("watch got %v", got)
		}
	}
	want := []string{"cfg/a=1/false", "cfg/a=2/false", "cfg/new=n/false", "cfg/new=/true"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("watch: %v, want %v", got, want)
	}
	if w.Dropped() != 0 {
		t.Errorf("dropped %d", w.Dropped())
	}
	w.Close()
	for range w.C { // buffered changes, then the end
	}
}

// Racing compare-and-sets with one expected version: exactly one wins.
func TestConcurrentCompareAndSet(t *testing.T) {
	c := newCluster(t)
	l := c.start("a", "", 1)
	c.leader()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := l.Put(ctx, "lock", []byte("free"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.CompareAndSet(ctx, "lock", v, []byte(fmt.Sprint(i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 9 {
		t.Fatalf("%d wins, %d conflicts; want 1 and 9", wins, conflicts)
	}
}

// A restarted server restores from its snapshot and log; watchers close on
// Shutdown.
func TestSnapshotRestoreAndShutdown(t *testing.T) {
	c := newCluster(t)
	l := c.start("a", "", 1, WithRaftOptions(raft.WithSnapshots(8, 50*time.Millisecond, 1)))
	c.leader()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 50; i++ {
		if _, err := l.Put(ctx, fmt.Sprintf("k%02d", i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	w := l.Watch("", 1)
	c.stop("a")
	if _, ok := <-w.C; ok {
		if _, ok := <-w.C; ok {
			t.Errorf("watcher open after Shutdown")
		}
	}
	if w2 := l.Watch("", 1); w2 != nil {
		if _, ok := <-w2.C; ok {
			t.Errorf("watch after Shutdown not closed")
		}
	}
	l = c.start("a", "", 1)
	c.leader()
	list, err := l.List(ctx, "k")
	if err != nil || len(list) != 50 || string(list[49].Value) != "49" {
		t.Fatalf("after restart: %d entries, %v", len(list), err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, opt := range []Option{WithMaxKeySize(0), WithMaxKeySize(maxKeyBytes + 1), WithMaxValueSize(-1), WithMaxValueSize(maxValueBytes + 1)} {
		if _, err := New(nil, "d", opt); !errors.Is(err, ErrConfig) {
			t.Errorf("New: %v, want ErrConfig", err)
		}
	}
	if _, err := New(nil, "d"); !errors.Is(err, raft.ErrConfig) {
		t.Errorf("New(nil node): %v, want raft.ErrConfig", err)
	}
}
