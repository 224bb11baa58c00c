package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
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
