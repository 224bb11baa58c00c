package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
	"github.com/libgossip/libgossip/utils/clock"
)

// TestPipelinedForwarding: a pipeline through a node that owns none of
// its keys is forwarded in batches (split by the reply bound for large
// values) and answered in order with read-your-writes.
func TestPipelinedForwarding(t *testing.T) {
	c := startCluster(t, 3, func(cfg *Config) { cfg.Replicas = 1 })
	v := c.nodes[0].view.Load()
	var key string
	for i := 0; ; i++ {
		key = fmt.Sprintf("big%d", i)
		if v.replicas(key, 1)[0] != "n0" {
			break
		}
	}
	ctx := context.Background()
	cl := c.client(0)
	big := strings.Repeat("x", 100<<10)
	pipe := cl.Pipeline()
	pipe.Set(ctx, key, big, 0)
	gets := make([]interface{ Val() string }, 40)
	for i := range gets {
		gets[i] = pipe.Get(ctx, key)
	}
	pipe.Append(ctx, key, "y")
	last := pipe.StrLen(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, g := range gets {
		if g.Val() != big {
			t.Fatalf("GET %d: %d bytes", i, len(g.Val()))
		}
	}
	if last.Val() != int64(len(big)+1) {
		t.Fatalf("STRLEN after APPEND = %d", last.Val())
	}
	if f := c.nodes[0].m.forwarded.Load(); f < 43 {
		t.Fatalf("forwarded %d commands, want 43", f)
	}
}

// TestSpliceFailures: the replies of writes W replicas did not take
// become NOREPLICAS errors, the others stay, and the reply ends follow.
func TestSpliceFailures(t *testing.T) {
	buf := []byte("prefix+OK\r\n$1\r\nv\r\n+OK\r\n")
	ends := []int{11, 18, 23}
	buf = spliceFailures(buf, 6, ends, []bool{true, false, true})
	noRep := "-" + resp.ErrNoReplicas + "\r\n"
	want := "prefix" + noRep + "$1\r\nv\r\n" + noRep
	if string(buf) != want {
		t.Fatalf("got %q, want %q", buf, want)
	}
	if ends[0] != 6+len(noRep) || ends[1] != ends[0]+7 || ends[2] != len(want) {
		t.Fatalf("ends %v", ends)
	}
}

// TestSuperseded: a write is left out of a replication request only
// when the next write of the group is of the same key and newer.
func TestSuperseded(t *testing.T) {
	v := func(ts int64) store.Entry { return store.Entry{Version: store.Version{TS: clock.Timestamp{Wall: ts}}} }
	ws := []*pending{
		{key: "a", e: v(1)}, // superseded by the next
		{key: "a", e: v(2)}, // the next is another key
		{key: "b", e: v(3)}, // the next is older
		{key: "b", e: v(1)}, // the next is the same version
		{key: "b", e: v(1)}, // last
	}
	want := []bool{true, false, false, false, false}
	for i := range ws {
		if got := superseded(ws, i); got != want[i] {
			t.Errorf("superseded(ws, %d) = %v, want %v (key %q version %v, next %v)", i, got, want[i], ws[i].key, ws[i].e.Version, ws[min(i+1, len(ws)-1)].e.Version)
		}
	}
}

// TestPipelinedWritesOfOneKeyReplicateOnce: R=2, W=2; a pipeline of
// SETs of one key through its owner is acknowledged write by write, the
// other replica receives only the newest of them (fewer entries than
// writes) and holds the last value.
func TestPipelinedWritesOfOneKeyReplicateOnce(t *testing.T) {
	c := startCluster(t, 3, nil)
	v := c.nodes[0].view.Load()
	key, owner, other := "", -1, -1
	for i := 0; owner != 0; i++ {
		key = fmt.Sprintf("hot%d", i)
		reps := v.replicas(key, 2)
		owner, other = int(reps[0][1]-'0'), int(reps[1][1]-'0')
	}
	before := c.nodes[other].m.applied.Load()
	ctx := context.Background()
	pipe := c.client(owner).Pipeline()
	const writes = 50
	sets := make([]interface{ Err() error }, writes)
	for i := range writes {
		sets[i] = pipe.Set(ctx, key, fmt.Sprintf("v%d", i), 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, s := range sets {
		if s.Err() != nil {
			t.Fatalf("SET %d: %v", i, s.Err())
		}
	}
	got := c.nodes[other].m.applied.Load() - before
	if got == 0 || got >= writes {
		t.Fatalf("the other replica received %d entries for %d pipelined writes of one key, want 1 to %d", got, writes, writes-1)
	}
	e, ok := c.nodes[other].store.Peek(key)
	if want := fmt.Sprintf("v%d", writes-1); !ok || string(e.Value) != want {
		t.Fatalf("the other replica holds %q (%v), want %q", e.Value, ok, want)
	}
}
