package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ownedKeys returns count keys starting with prefix whose owner (first
// replica, R = r) in node 0's view is member id.
func (c *testCluster) ownedKeys(r int, prefix, id string, count int) []string {
	v := c.nodes[0].view.Load()
	var keys []string
	for i := 0; len(keys) < count; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		if v.replicas(k, r)[0] == id {
			keys = append(keys, k)
		}
	}
	return keys
}

// execPipe runs pipe, failing t on an error other than a missing key.
func execPipe(t *testing.T, pipe redis.Pipeliner) []redis.Cmder {
	t.Helper()
	cmds, err := pipe.Exec(context.Background())
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	return cmds
}

// TestPipelineAcrossOwners: a pipeline through node 0 whose keys belong
// to all three members, writes and reads interleaved (some reads of
// keys written earlier under another owner), gets every reply in order
// with the values written; with replies larger than the reply bound
// too, so that groups take several rounds and wait for each other.
func TestPipelineAcrossOwners(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := context.Background()
	cl := c.client(0)
	for _, tc := range []struct {
		name    string
		perNode int
		size    int
	}{
		{"small", 40, 0},
		{"large replies", 8, 150 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			owners := map[string]bool{}
			v := c.nodes[0].view.Load()
			by := [3][]string{}
			for i := range 3 {
				by[i] = c.ownedKeys(2, tc.name+":", fmt.Sprintf("n%d", i), tc.perNode)
			}
			for j := range tc.perNode { // interleave the owners
				for i := range 3 {
					keys = append(keys, by[i][j])
					owners[v.replicas(by[i][j], 2)[0]] = true
				}
			}
			if len(owners) != 3 {
				t.Fatalf("keys owned by %v, want 3 members", owners)
			}
			val := func(i int) string {
				return fmt.Sprintf("v%d:", i) + strings.Repeat("x", tc.size)
			}
			before := c.nodes[0].m.forwarded.Load()
			pipe := cl.Pipeline()
			type check struct {
				cmd  *redis.StringCmd
				want string
			}
			var checks []check
			for i, k := range keys {
				pipe.Set(ctx, k, val(i), 0)
				checks = append(checks, check{pipe.Get(ctx, k), val(i)})
				if i >= 4 {
					checks = append(checks, check{pipe.Get(ctx, keys[i-4]), val(i - 4)})
				}
			}
			cmds := execPipe(t, pipe)
			for i, cmd := range cmds {
				if cmd.Err() != nil {
					t.Fatalf("command %d %v: %v", i, cmd.Args()[:2], cmd.Err())
				}
			}
			for i, ch := range checks {
				if got := ch.cmd.Val(); got != ch.want {
					t.Fatalf("read %d (%v): %.20q (%d bytes), want %.20q (%d bytes)", i, ch.cmd.Args()[:2], got, len(got), ch.want, len(ch.want))
				}
			}
			if f := c.nodes[0].m.forwarded.Load() - before; f == 0 {
				t.Fatal("nothing forwarded")
			}
		})
	}
}

// TestPipelineKeepsPerKeyOrder: in a pipeline spread over three owners,
// the commands of one key run in pipeline order.
func TestPipelineKeepsPerKeyOrder(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := context.Background()
	k := c.ownedKeys(2, "k", "n1", 1)[0]
	ctr := c.ownedKeys(2, "c", "n2", 1)[0]
	l := c.ownedKeys(2, "l", "n0", 1)[0]
	pipe := c.client(0).Pipeline()
	pipe.Set(ctx, k, "a", 0)
	pipe.Set(ctx, l, "x", 0)
	pipe.Set(ctx, k, "b", 0)
	var incrs []*redis.IntCmd
	for i := range 20 {
		incrs = append(incrs, pipe.Incr(ctx, ctr))
		if i == 10 {
			pipe.Set(ctx, l, "y", 0)
		}
	}
	getK, getL := pipe.Get(ctx, k), pipe.Get(ctx, l)
	execPipe(t, pipe)
	if getK.Val() != "b" || getL.Val() != "y" {
		t.Fatalf("GET %s = %q, GET %s = %q; want b, y", k, getK.Val(), l, getL.Val())
	}
	for i, in := range incrs {
		if in.Val() != int64(i+1) {
			t.Fatalf("INCR %d of %s = %d, %v; want %d", i, ctr, in.Val(), in.Err(), i+1)
		}
	}
}

// TestPipelineBarrierSeesEarlierWrites: a multi-key command in a
// pipeline observes the pipeline's earlier writes of keys owned by
// different members, and the commands after it observe its effect.
func TestPipelineBarrierSeesEarlierWrites(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := context.Background()
	a := c.ownedKeys(2, "a", "n1", 1)[0]
	b := c.ownedKeys(2, "b", "n2", 1)[0]
	l := c.ownedKeys(2, "l", "n0", 1)[0]
	pipe := c.client(0).Pipeline()
	pipe.Set(ctx, a, "1", 0)
	pipe.Set(ctx, b, "2", 0)
	pipe.Set(ctx, l, "3", 0)
	mget := pipe.MGet(ctx, a, b, l)
	del := pipe.Del(ctx, a, b)
	getA := pipe.Get(ctx, a)
	pipe.Set(ctx, b, "4", 0)
	getB := pipe.Get(ctx, b)
	execPipe(t, pipe)
	if got := fmt.Sprint(mget.Val()); got != "[1 2 3]" {
		t.Fatalf("MGET = %s, want [1 2 3]", got)
	}
	if del.Val() != 2 {
		t.Fatalf("DEL = %d, want 2", del.Val())
	}
	if !errors.Is(getA.Err(), redis.Nil) {
		t.Fatalf("GET after DEL: %q, %v; want nil", getA.Val(), getA.Err())
	}
	if getB.Val() != "4" {
		t.Fatalf("GET = %q, want 4", getB.Val())
	}
}

// TestPipelineForwardsConcurrently: two owners each answer their part
// of a pipeline only once both have received theirs, which they do only
// when the parts are forwarded at the same time, not one after the
// other's answer. (Their requests may take longer than the owners wait
// for each other, so that a lone part is seen as such, not retried.)
func TestPipelineForwardsConcurrently(t *testing.T) {
	c := startCluster(t, 3, func(cfg *Config) { cfg.Replicas, cfg.RequestTimeout = 1, 30*time.Second })
	ctx := context.Background()
	a := c.ownedKeys(1, "a", "n1", 1)[0]
	b := c.ownedKeys(1, "b", "n2", 1)[0]
	var arrived atomic.Int32
	both := make(chan struct{})
	var alone atomic.Bool // an owner gave up waiting for the other
	hook := func() {
		if arrived.Add(1) == 2 {
			close(both)
		}
		timer := time.NewTimer(5 * time.Second)
		defer timer.Stop()
		select {
		case <-both:
		case <-timer.C:
			alone.Store(true)
		}
	}
	for _, i := range []int{1, 2} {
		c.nodes[i].onExecBatch.Store(&hook)
		t.Cleanup(func() { c.nodes[i].onExecBatch.Store(nil) })
	}
	pipe := c.client(0).Pipeline()
	pipe.Set(ctx, a, "1", 0)
	pipe.Set(ctx, b, "2", 0)
	getA, getB := pipe.Get(ctx, a), pipe.Get(ctx, b)
	execPipe(t, pipe)
	if alone.Load() {
		t.Fatal("an owner received its part alone: the parts were forwarded one after the other")
	}
	if getA.Val() != "1" || getB.Val() != "2" {
		t.Fatalf("GETs = %q, %q; want 1, 2", getA.Val(), getB.Val())
	}
	if n := arrived.Load(); n != 2 {
		t.Fatalf("%d forwarded requests, want 2 (one an owner)", n)
	}
}

// TestPipelineOwnerUnreachable: R=2, W=1; right after a member crashes,
// before the others notice, a pipeline through node 0 spread over every
// owner gets the right replies: the dead owner's commands run on their
// next replica.
func TestPipelineOwnerUnreachable(t *testing.T) {
	c := startCluster(t, 3, func(cfg *Config) { cfg.WriteAcks = 1 })
	ctx := context.Background()
	var keys []string
	by := [3][]string{}
	for i := range 3 {
		by[i] = c.ownedKeys(2, "u", fmt.Sprintf("n%d", i), 10)
	}
	for j := range 10 {
		for i := range 3 {
			keys = append(keys, by[i][j])
		}
	}
	before := c.nodes[0].m.forwardErrors.Load()
	c.kill(2)
	pipe := c.client(0).Pipeline()
	var gets []*redis.StringCmd
	for i, k := range keys {
		pipe.Set(ctx, k, fmt.Sprint(i), 0)
		gets = append(gets, pipe.Get(ctx, k))
	}
	cmds := execPipe(t, pipe)
	for i, cmd := range cmds {
		if cmd.Err() != nil {
			t.Fatalf("command %d %v: %v", i, cmd.Args()[:2], cmd.Err())
		}
	}
	for i, g := range gets {
		if g.Val() != fmt.Sprint(i) {
			t.Fatalf("GET %s = %q, want %d", keys[i], g.Val(), i)
		}
	}
	if _, still := c.nodes[0].view.Load().members["n2"]; !still {
		t.Skip("node 0 noticed the crash before the pipeline ran; nothing forwarded to the dead owner")
	}
	if c.nodes[0].m.forwardErrors.Load() == before {
		t.Fatal("no forward to the dead owner failed")
	}
}

// TestPipelineFanOutBudget: a pipeline of large GETs through node 0
// whose keys alternate between the three members, one of them with
// values twice as large as the others' (so its replies lag and the
// others' wait behind them), gets every reply right and in order, while
// the replies its fan-out holds after each round stay below the budget
// plus one reply per group that may have stepped in a round. Besides
// fanOutBytes, the budget is lowered to 2 and 1 MiB: with three members
// a fan-out without a shared budget holds under about 2 MiB for each of
// the two groups not holding the next reply, which only a budget below
// 4 MiB tells apart (it held about 2.7 MiB here).
func TestPipelineFanOutBudget(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := context.Background()
	const perNode = 24
	sizes := [3]int{100 << 10, 300 << 10, 100 << 10} // n0, n1, n2
	by := [3][]string{}
	for i := range 3 {
		by[i] = c.ownedKeys(2, "budget:", fmt.Sprintf("n%d", i), perNode)
	}
	var keys, vals []string
	for j := range perNode {
		for i := range 3 {
			keys = append(keys, by[i][j])
			vals = append(vals, fmt.Sprintf("%d:", len(keys))+strings.Repeat(string(rune('a'+i)), sizes[i]))
		}
	}
	cl := c.client(0)
	for i, k := range keys {
		if err := cl.Set(ctx, k, vals[i], 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	maxReply := 0
	for _, v := range vals {
		maxReply = max(maxReply, len(v)+16) // "$<len>\r\n" + value + "\r\n"
	}

	n := c.nodes[0]
	var maxHeld, rounds atomic.Int64
	hook := func(held int) {
		rounds.Add(1)
		for {
			m := maxHeld.Load()
			if int64(held) <= m || maxHeld.CompareAndSwap(m, int64(held)) {
				return
			}
		}
	}
	n.onFanOutRound.Store(&hook)
	t.Cleanup(func() { n.onFanOutRound.Store(nil); n.fanOutBudget.Store(0) })

	for _, budget := range []int{fanOutBytes, 2 * batchReplyBytes, batchReplyBytes} {
		t.Run(fmt.Sprintf("budget %d MiB", budget>>20), func(t *testing.T) {
			n.fanOutBudget.Store(int64(budget))
			maxHeld.Store(0)
			rounds.Store(0)
			pipe := cl.Pipeline()
			gets := make([]*redis.StringCmd, len(keys))
			for i, k := range keys {
				gets[i] = pipe.Get(ctx, k)
			}
			execPipe(t, pipe)
			for i, g := range gets {
				if g.Err() != nil || g.Val() != vals[i] {
					t.Fatalf("GET %d %s: %.20q (%d bytes), %v; want %.20q (%d bytes)", i, keys[i], g.Val(), len(g.Val()), g.Err(), vals[i], len(vals[i]))
				}
			}
			bound := budget + budget/batchReplyBytes*maxReply
			t.Logf("%d rounds, at most %d bytes held (bound %d)", rounds.Load(), maxHeld.Load(), bound)
			if rounds.Load() < 2 {
				t.Fatalf("%d fan-out rounds, want several", rounds.Load())
			}
			if m := maxHeld.Load(); m >= int64(bound) {
				t.Fatalf("the fan-out held %d bytes of replies after a round; bound %d", m, bound)
			}
		})
	}
}
