package kv_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/kv"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func startKV(t *testing.T, n *gossip.Node, opts ...kv.Option) *kv.KV {
	t.Helper()
	opts = append([]kv.Option{kv.WithSyncInterval(300 * time.Millisecond), kv.WithLogger(clustertest.Quiet)}, opts...)
	k, err := kv.New(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Shutdown(context.Background()) })
	return k
}

func sameHash(kvs []*kv.KV) bool {
	for _, k := range kvs[1:] {
		if k.Hash() != kvs[0].Hash() {
			return false
		}
	}
	return true
}

func TestPutGetWatch(t *testing.T) {
	c := clustertest.Memnet(t, 3, nil)
	var kvs []*kv.KV
	for _, n := range c.Nodes {
		kvs = append(kvs, startKV(t, n))
	}
	w := kvs[2].Watch("app/", 16)
	if _, err := kvs[0].Put("app/color", []byte("blue")); err != nil {
		t.Fatal(err)
	}
	kvs[0].Put("other", []byte("x"))
	clustertest.WaitFor(t, 10*time.Second, "the put on every member", func() bool {
		for _, k := range kvs {
			if v, _, ok := k.Get("app/color"); !ok || string(v) != "blue" {
				return false
			}
		}
		return true
	})
	select {
	case ch := <-w.C:
		if ch.Entry.Key != "app/color" || !ch.Remote || string(ch.Entry.Value) != "blue" {
			t.Errorf("watch got %+v", ch)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change on the watcher")
	}
	if _, err := kvs[1].Delete("app/color"); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 10*time.Second, "the delete on every member", func() bool {
		for _, k := range kvs {
			if _, _, ok := k.Get("app/color"); ok {
				return false
			}
		}
		return len(kvs[0].List("")) == 1
	})
	if ch := <-w.C; !ch.Entry.Deleted {
		t.Errorf("watch got %+v, want the delete", ch)
	}
	w.Close()
	// A value too large for a broadcast travels by exchange.
	big := make([]byte, 40<<10)
	if _, err := kvs[2].Put("big", big); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 10*time.Second, "the large value everywhere", func() bool {
		v, _, ok := kvs[0].Get("big")
		return ok && len(v) == len(big)
	})
	// Limits give clear errors and change nothing.
	if _, err := kvs[0].Put("big2", make([]byte, 65<<10)); !errors.Is(err, kv.ErrValueTooLarge) {
		t.Errorf("oversized value: %v", err)
	}
	if _, err := kvs[0].Put("", nil); !errors.Is(err, kv.ErrKeyTooLarge) {
		t.Errorf("empty key: %v", err)
	}
	if kvs[0].Addr() == "" || kvs[0].Stats().Merged == 0 {
		t.Errorf("addr %q stats %+v", kvs[0].Addr(), kvs[0].Stats())
	}
}

// TestAcceptanceConvergence: 1,000 random puts and deletes spread over 5
// members while the network loses 10% of packets and one member is
// restarted (empty) midway: every member ends with the identical store.
func TestAcceptanceConvergence(t *testing.T) {
	c := clustertest.Memnet(t, 5, nil)
	var kvs []*kv.KV
	for _, n := range c.Nodes {
		kvs = append(kvs, startKV(t, n))
	}
	c.Net.SetLoss(0.10)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 1000 {
		k := kvs[rng.IntN(len(kvs))]
		if i == 500 {
			// Restart member 3: a new node and an empty store.
			_ = kvs[3].Shutdown(context.Background())
			clustertest.Stop(t, c.Nodes[3])
			cfg := clustertest.Config("m3")
			// A restart within the same second would reuse the
			// incarnation the runtime takes from the wall clock.
			cfg.Incarnation = clustertest.Incarnation()
			n := clustertest.Start(t, cfg, c.Net.Transport("m3:2"))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if err := n.Join(ctx, c.Nodes[0].LocalNode().Addr); err != nil {
				t.Fatalf("rejoin: %v", err)
			}
			cancel()
			c.Nodes[3] = n
			kvs[3] = startKV(t, n)
			continue
		}
		key := fmt.Sprintf("cfg/%02d", rng.IntN(50))
		var err error
		if rng.IntN(10) < 3 {
			_, err = k.Delete(key)
		} else {
			_, err = k.Put(key, fmt.Appendf(nil, "v%d", i))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	last := time.Now()
	clustertest.WaitFor(t, 60*time.Second, "identical stores on all 5 members", func() bool { return sameHash(kvs) })
	t.Logf("identical on all 5 members %v after the last write: %d live keys, hash %x",
		time.Since(last).Round(time.Millisecond), len(kvs[0].List("")), kvs[0].Hash())
}

// TestDeletedKeyNeverReturns: a member cut off (keeping the old value)
// for longer than the grace period comes back after the delete was
// collected everywhere else; the key does not come back, anywhere.
func TestDeletedKeyNeverReturns(t *testing.T) {
	c := clustertest.Memnet(t, 3, nil)
	grace := kv.WithConfig(kv.Config{Grace: 2 * time.Second})
	gc := kv.WithGCInterval(200 * time.Millisecond)
	// The partition covers the RPC channel too: while m2 is cut off, no
	// exchange involving it connects.
	var cut atomic.Bool
	var m2addr atomic.Value
	m2addr.Store("")
	var kvs []*kv.KV
	for i, n := range c.Nodes {
		dial := kv.WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
			if cut.Load() && (i == 2 || addr == m2addr.Load().(string)) {
				return nil, errors.New("partitioned")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		})
		kvs = append(kvs, startKV(t, n, grace, gc, dial))
	}
	m2addr.Store(kvs[2].Addr())
	if _, err := kvs[0].Put("doomed", []byte("v")); err != nil {
		t.Fatal(err)
	}
	kvs[0].Put("kept", []byte("v"))
	clustertest.WaitFor(t, 10*time.Second, "both keys everywhere", func() bool { return sameHash(kvs) && len(kvs[2].List("")) == 2 })
	cut.Store(true)
	c.Net.Cut("m2:1", true)
	clustertest.WaitMembers(t, 30*time.Second, c.Nodes[:2], 2)
	watchers := []*kv.Watcher{kvs[0].Watch("doomed", 16), kvs[1].Watch("doomed", 16)}
	if _, err := kvs[1].Delete("doomed"); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 20*time.Second, "the tombstone collected on both sides", func() bool {
		return kvs[0].Stats().Collected > 0 && kvs[1].Stats().Collected > 0
	})
	if _, _, ok := kvs[2].Get("doomed"); !ok {
		t.Fatal("the cut member lost the value before healing: the test proves nothing")
	}
	c.Net.Cut("m2:1", false)
	cut.Store(false)
	clustertest.WaitMembers(t, 60*time.Second, c.Nodes, 3)
	clustertest.WaitFor(t, 20*time.Second, "the stale copy dropped", func() bool {
		_, _, ok := kvs[2].Get("doomed")
		return !ok && sameHash(kvs)
	})
	for _, w := range watchers {
		for len(w.C) > 0 {
			if ch := <-w.C; !ch.Entry.Deleted {
				t.Errorf("the deleted key came back: %+v", ch)
			}
		}
	}
	if _, _, ok := kvs[0].Get("kept"); !ok {
		t.Error("kept lost")
	}
}

func TestLifecycle(t *testing.T) {
	if _, err := kv.New(nil); !errors.Is(err, kv.ErrConfig) {
		t.Errorf("nil node: %v", err)
	}
	c := clustertest.Memnet(t, 1, nil)
	if _, err := kv.New(c.Nodes[0], kv.WithSyncInterval(-1)); !errors.Is(err, kv.ErrConfig) {
		t.Errorf("negative interval: %v", err)
	}
	k := startKV(t, c.Nodes[0])
	if err := k.Start(context.Background()); !errors.Is(err, kv.ErrNotRunning) {
		t.Errorf("second start: %v", err)
	}
	if err := k.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Put("a", nil); !errors.Is(err, kv.ErrNotRunning) {
		t.Errorf("put after shutdown: %v", err)
	}
	if w := k.Watch("", 0); w != nil {
		if _, open := <-w.C; open {
			t.Error("watch after shutdown is open")
		}
	}
}
