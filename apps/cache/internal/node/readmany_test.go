package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
)

// byID returns the cluster's node with id.
func (c *testCluster) byID(id string) *Node {
	for _, n := range c.live() {
		if n.self == id {
			return n
		}
	}
	c.t.Fatalf("no node %q", id)
	return nil
}

// ownedKeys returns count keys with prefix that owner coordinates and,
// when second is not empty, whose other replica is second.
func ownedKeys(n *Node, prefix, owner, second string, count int) []string {
	v := n.view.Load()
	var out []string
	for i := 0; len(out) < count; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		reps := v.replicas(k, n.cfg.Replicas)
		if reps[0] == owner && (second == "" || reps[1] == second) {
			out = append(out, k)
		}
	}
	return out
}

func getCmds(keys []string) [][][]byte {
	var cmds [][][]byte
	for _, k := range keys {
		cmds = append(cmds, [][]byte{[]byte("GET"), []byte(k)})
	}
	return cmds
}

func bulk(v string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(v), v) }

// readsBy runs fn and returns how many read requests each node sent to
// other replicas meanwhile.
func readsBy(c *testCluster, fn func()) map[string]uint64 {
	before := map[string]uint64{}
	for _, n := range c.live() {
		before[n.self] = n.m.replicaReads.Load()
	}
	fn()
	out := map[string]uint64{}
	for _, n := range c.live() {
		out[n.self] = n.m.replicaReads.Load() - before[n.self]
	}
	return out
}

// TestBatchReadsGathered: the reads of a pipelined run (run here, or
// forwarded and merged) that must consult other replicas go as one
// request per replica, not one round trip per command, and give what
// one read at a time gave: the newest copy, repaired here, nil when no
// replica has the key, and the run's own writes in order.
func TestBatchReadsGathered(t *testing.T) {
	c := startCluster(t, 3, nil)
	waitFor(t, 20*time.Second, "the membership settles", func() bool {
		for _, n := range c.live() {
			if n.settling() {
				return false
			}
		}
		return true
	})
	n0, n1 := c.byID("n0"), c.byID("n1")
	ctx := context.Background()
	const N = 200

	t.Run("local run", func(t *testing.T) {
		keys := ownedKeys(n0, "miss:", "n0", "", N)
		// keys[0] only on its other replica; keys[1] set by the run
		// before it is read; the others nowhere.
		second := c.byID(n0.view.Load().replicas(keys[0], 2)[1])
		second.store.Apply(keys[0], store.Entry{Value: []byte("there"), Version: second.version()})
		cmds := getCmds(keys)
		cmds = append(cmds[:1], append([][][]byte{{[]byte("SET"), []byte(keys[1]), []byte("v1")}}, cmds[1:]...)...)
		want := bulk("there") + "+OK\r\n" + bulk("v1") + strings.Repeat("$-1\r\n", N-2)
		repairs := n0.m.readRepairs.Load()
		var out resp.Out
		reads := readsBy(c, func() { n0.ExecBatch(ctx, 2, cmds, &out) })
		if string(out.B) != want {
			t.Fatalf("replies:\n got %.200q\nwant %.200q", out.B, want)
		}
		if reads["n0"] == 0 || reads["n0"] > 2 {
			t.Fatalf("%d GETs of missing keys sent %d read requests to other replicas, want 1 or 2 (one per replica)", N-1, reads["n0"])
		}
		if e, ok := n0.store.Peek(keys[0]); !ok || string(e.Value) != "there" {
			t.Fatalf("%s not repaired here: %+v %v", keys[0], e, ok)
		}
		if n0.m.readRepairs.Load() == repairs {
			t.Fatal("no read repair counted")
		}
	})

	t.Run("forwarded run", func(t *testing.T) {
		keys := ownedKeys(n0, "fwdmiss:", "n0", "", N)
		var out resp.Out
		reads := readsBy(c, func() { n1.ExecBatch(ctx, 2, getCmds(keys), &out) })
		if want := strings.Repeat("$-1\r\n", N); string(out.B) != want {
			t.Fatalf("replies: got %.200q", out.B)
		}
		if reads["n0"] == 0 || reads["n0"] > 2 || reads["n1"] != 0 {
			t.Fatalf("%d forwarded GETs of missing keys: read requests by node %v, want 1 or 2 from n0 (one per replica)", N, reads)
		}
	})

	t.Run("pipeline of local and forwarded runs", func(t *testing.T) {
		// Keys owned here and by n1 in turn: runs of one command, each
		// local one read in the one gathering of the pipeline.
		mine, theirs := ownedKeys(n0, "mixmiss:", "n0", "", N/2), ownedKeys(n0, "mixmiss:", "n1", "", N/2)
		var keys []string
		for i := range mine {
			keys = append(keys, mine[i], theirs[i])
		}
		var out resp.Out
		reads := readsBy(c, func() { n0.ExecBatch(ctx, 2, getCmds(keys), &out) })
		if want := strings.Repeat("$-1\r\n", N); string(out.B) != want {
			t.Fatalf("replies: got %.200q", out.B)
		}
		if reads["n0"] == 0 || reads["n0"] > 2 || reads["n1"] > uint64(N/2) {
			t.Fatalf("%d runs of one GET of a missing key here: read requests by node %v, want 1 or 2 from n0", N/2, reads)
		}
	})

	t.Run("answers split by the reply bound", func(t *testing.T) {
		// Three values of 600 KiB on the other replica only: it answers
		// the first two (past readManyReplyBytes), then the third.
		keys := ownedKeys(n0, "big:", "n0", "n2", 3)
		n2 := c.byID("n2")
		var want string
		for i, k := range keys {
			v := strings.Repeat(string(rune('a'+i)), 600<<10)
			n2.store.Apply(k, store.Entry{Value: []byte(v), Version: n2.version()})
			want += bulk(v)
		}
		var out resp.Out
		reads := readsBy(c, func() { n0.ExecBatch(ctx, 2, getCmds(keys), &out) })
		if string(out.B) != want {
			t.Fatalf("replies: %d bytes, want %d", len(out.B), len(want))
		}
		if reads["n0"] != 2 {
			t.Fatalf("read requests: %v, want 2 from n0", reads)
		}
	})
}

// TestBatchReadsGatheredWhileSettling: while the membership settles,
// every read of a run consults the other replicas (a local copy may be
// stale): still one request per replica, and the newest copy wins.
func TestBatchReadsGatheredWhileSettling(t *testing.T) {
	c := startCluster(t, 3, func(cfg *Config) { cfg.SettleTime = time.Hour })
	n0 := c.byID("n0")
	keys := ownedKeys(n0, "settle:", "n0", "", 100)
	var want string
	for i, k := range keys {
		old := store.Entry{Value: []byte("old"), Version: n0.version()}
		n0.store.Apply(k, old)
		if i%2 == 0 {
			// A newer copy on the other replica.
			second := c.byID(n0.view.Load().replicas(k, 2)[1])
			second.store.Apply(k, store.Entry{Value: []byte("new"), Version: second.version()})
			want += bulk("new")
		} else {
			want += bulk("old")
		}
	}
	var out resp.Out
	reads := readsBy(c, func() { n0.ExecBatch(context.Background(), 2, getCmds(keys), &out) })
	if string(out.B) != want {
		t.Fatalf("replies:\n got %.200q\nwant %.200q", out.B, want)
	}
	if reads["n0"] == 0 || reads["n0"] > 2 {
		t.Fatalf("100 GETs while settling sent %d read requests, want 1 or 2", reads["n0"])
	}
	for i, k := range keys {
		if e, _ := n0.store.Peek(k); i%2 == 0 && string(e.Value) != "new" {
			t.Fatalf("%s not repaired: %q", k, e.Value)
		}
	}
	waitFor(t, 10*time.Second, "stale replicas get hints", func() bool {
		p, _ := n0.hints.pending()
		return p > 0
	})
}

// TestReadManyHostile: malformed multi-key reads from a member are
// refused with an error and the server goes on serving; an empty one
// gets no answers.
func TestReadManyHostile(t *testing.T) {
	c := startCluster(t, 2, nil)
	n0, n1 := c.byID("n0"), c.byID("n1")
	addr := n1.view.Load().members["n0"].peer
	ctx := context.Background()
	for _, bad := range [][]byte{
		nil,
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // count overflows
		{0x80, 0x80, 0x80, 0x01},                                     // a count far above the bytes there are
		append(peer.EncodeStrings([]string{"k"}), 0),                 // trailing byte
		{2, 5, 'a'}, // a key longer than the payload
	} {
		_, err := n1.pool.Call(ctx, addr, reqReadMany, bad)
		var re *peer.RemoteError
		if !errors.As(err, &re) || !strings.Contains(re.Msg, "malformed") {
			t.Fatalf("payload %x: got %v, want a malformed-request error", bad, err)
		}
	}
	b, err := n1.pool.Call(ctx, addr, reqReadMany, peer.EncodeStrings(nil))
	if as, derr := peer.DecodeReadAnswers(b); err != nil || derr != nil || len(as) != 0 {
		t.Fatalf("empty read: %v %v %v", as, err, derr)
	}
	n0.store.Apply("k", store.Entry{Value: []byte("v"), Version: n0.version()})
	b, err = n1.pool.Call(ctx, addr, reqReadMany, peer.EncodeStrings([]string{"nope", "k"}))
	as, derr := peer.DecodeReadAnswers(b)
	if err != nil || derr != nil || len(as) != 2 || as[0].Found || !as[1].Found || string(as[1].Entry.Value) != "v" {
		t.Fatalf("after the malformed requests: %+v %v %v", as, err, derr)
	}
}

// oldMember serves like n but refuses reqReadMany, like a member not
// upgraded yet.
type oldMember struct{ n *Node }

func (o oldMember) Serve(ctx context.Context, from string, typ byte, p []byte) ([]byte, error) {
	if typ == reqReadMany {
		return nil, fmt.Errorf("%w: request type %d", peer.ErrMalformed, typ)
	}
	return o.n.Serve(ctx, from, typ, p)
}

// TestReadManyOldMember: a member that refuses reqReadMany is asked
// with reqRead instead, and its answers count the same.
func TestReadManyOldMember(t *testing.T) {
	c := startCluster(t, 2, nil)
	n0, n1 := c.byID("n0"), c.byID("n1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := peer.NewServer([]byte(n1.cfg.Secret), func(string) bool { return true }, oldMember{n1}, peer.Limits{}, quiet)
	s.Serve(ln)
	t.Cleanup(func() { _ = s.Close() })
	n1.store.Apply("a", store.Entry{Value: []byte("va"), Version: n1.version()})
	n1.store.Apply("c", store.Entry{Value: []byte("vc"), Version: n1.version()})
	v := &view{members: map[string]member{"old": {peer: ln.Addr().String()}}}
	tgt := readTarget{r: "old", keys: []string{"a", "b", "c"}, slots: []int{2, 0, 1}}
	ans := make([]replicaAnswer, 3)
	reads := readsBy(c, func() { n0.readMany(context.Background(), v, &tgt, ans) })
	if reads["n0"] != 2 {
		t.Fatalf("read requests %v, want 2 from n0 (refused, then reqRead)", reads)
	}
	for i, want := range []string{"", "vc", "va"} { // slots of b, c, a
		if a := ans[i]; !a.ok || a.id != "old" || string(a.e.Value) != want || (want == "") != a.e.Version.IsZero() {
			t.Fatalf("answer %d: %+v, want ok with %q", i, a, want)
		}
	}
}
