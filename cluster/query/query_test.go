package query_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/query"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func startQ(t *testing.T, n *gossip.Node, opts ...query.Option) *query.Querier {
	t.Helper()
	q, err := query.New(n, append([]query.Option{query.WithLogger(clustertest.Quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Shutdown(context.Background()) })
	return q
}

// waitAdvertised waits until every node sees every querier's address
// (up to 2 minutes: 64 members in one process under the race detector on
// a loaded machine have taken more than 30 s).
func waitAdvertised(t *testing.T, nodes []*gossip.Node) {
	clustertest.WaitFor(t, 2*time.Minute, "query addresses everywhere", func() bool {
		for _, n := range nodes {
			for _, v := range n.LiveMembers() {
				if v.Meta[query.MetaKey] == "" {
					return false
				}
			}
		}
		return true
	})
}

// TestSixtyFourResponses is the acceptance run: 64 members each answer
// with 64 KiB; the requester receives all 64 responses.
func TestSixtyFourResponses(t *testing.T) {
	// LAN timings: 64 members in one process under the race detector on
	// a shared machine; the Local preset's 200ms probes would spend the
	// CPU on probing.
	c := clustertest.Memnet(t, 64, func(cfg *gossip.Config) {
		lan := gossip.LANConfig()
		cfg.ProbeInterval, cfg.ProbeTimeout, cfg.GossipInterval = lan.ProbeInterval, lan.ProbeTimeout, lan.GossipInterval
	})
	var qs []*query.Querier
	for i, n := range c.Nodes {
		q := startQ(t, n)
		body := bytes.Repeat([]byte{byte(i)}, 64<<10)
		q.Handle("dump", func(ctx context.Context, r query.Request) ([]byte, error) { return body, nil })
		qs = append(qs, q)
	}
	waitAdvertised(t, c.Nodes)
	begin := time.Now()
	// The timeout bounds a failure only: the query ends with the 64th
	// response (54 had come in 30 s on a loaded machine).
	p, err := qs[5].Query(context.Background(), "dump", []byte("all"), query.Params{Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for r := range p.Responses {
		if r.Err != "" || len(r.Payload) != 64<<10 {
			t.Errorf("from %s: %d bytes, err %q", r.From, len(r.Payload), r.Err)
		}
		got[r.From] = len(r.Payload)
		if len(got) == 64 {
			p.Close()
		}
	}
	if len(got) != 64 {
		t.Fatalf("received %d of 64 responses", len(got))
	}
	t.Logf("64 responses of 64 KiB in %v", time.Since(begin).Round(time.Millisecond))
}

func TestFilterAckAndErrors(t *testing.T) {
	c := clustertest.Memnet(t, 4, nil)
	var qs []*query.Querier
	for i, n := range c.Nodes {
		if i%2 == 0 {
			if err := n.SetMeta(map[string]string{"role": "db"}); err != nil {
				t.Fatal(err)
			}
		}
		q := startQ(t, n)
		q.Handle("who", func(ctx context.Context, r query.Request) ([]byte, error) {
			if string(r.Payload) == "fail" {
				return nil, errors.New("refused")
			}
			return []byte(n.LocalNode().ID), nil
		})
		qs = append(qs, q)
	}
	waitAdvertised(t, c.Nodes)
	clustertest.WaitFor(t, 10*time.Second, "role tags everywhere", func() bool {
		n := 0
		for _, v := range c.Nodes[1].LiveMembers() {
			if v.Meta["role"] == "db" {
				n++
			}
		}
		return n == 2
	})
	collect := func(p *query.Pending, want int) ([]string, []string) {
		var from, acks []string
		for r := range p.Responses {
			from = append(from, r.From+":"+r.Err)
			if len(from) == want {
				p.Close()
			}
		}
		for a := range p.Acks {
			acks = append(acks, a)
		}
		slices.Sort(from)
		slices.Sort(acks)
		return from, acks
	}
	p, err := qs[1].Query(context.Background(), "who", nil, query.Params{Filter: query.Filter{Tags: map[string]string{"role": "db"}}, Ack: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	from, acks := collect(p, 2)
	if !slices.Equal(from, []string{"m0:", "m2:"}) || !slices.Equal(acks, []string{"m0", "m2"}) {
		t.Errorf("tag filter: responses %v acks %v", from, acks)
	}
	p, _ = qs[0].Query(context.Background(), "who", []byte("fail"), query.Params{Filter: query.Filter{IDs: []string{"m0", "m3"}}, Timeout: 20 * time.Second})
	from, _ = collect(p, 2)
	if !slices.Equal(from, []string{"m0:refused", "m3:refused"}) {
		t.Errorf("id filter with errors: %v", from)
	}
	// Nobody handles "nothing": the channels close at the timeout.
	p, _ = qs[0].Query(context.Background(), "nothing", nil, query.Params{Timeout: 200 * time.Millisecond})
	if from, _ := collect(p, 1); len(from) != 0 {
		t.Errorf("unhandled query answered: %v", from)
	}
	for _, bad := range []query.Params{{Timeout: -1}, {Filter: query.Filter{IDs: make([]string, 300)}}} {
		if _, err := qs[0].Query(context.Background(), "who", nil, bad); !errors.Is(err, query.ErrConfig) {
			t.Errorf("params %+v: %v", bad, err)
		}
	}
	if _, err := qs[0].Query(context.Background(), "who", make([]byte, query.MaxPayload+1), query.Params{}); !errors.Is(err, query.ErrConfig) {
		t.Errorf("oversized payload: %v", err)
	}
	qs[3].Handle("who", nil)
	if err := qs[3].Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := qs[3].Query(context.Background(), "who", nil, query.Params{}); !errors.Is(err, query.ErrNotRunning) {
		t.Errorf("query after shutdown: %v", err)
	}
}

func TestOptions(t *testing.T) {
	if _, err := query.New(nil); !errors.Is(err, query.ErrConfig) {
		t.Errorf("nil node: %v", err)
	}
	c := clustertest.Memnet(t, 1, nil)
	if _, err := query.New(c.Nodes[0], query.WithMaxHandlers(0)); !errors.Is(err, query.ErrConfig) {
		t.Errorf("zero handlers: %v", err)
	}
	if _, err := query.New(c.Nodes[0], query.WithMaxConns(0, 0)); !errors.Is(err, query.ErrConfig) {
		t.Errorf("zero conns: %v", err)
	}
	q := startQ(t, c.Nodes[0], query.WithListenAddr("127.0.0.1:0"), query.WithErrorHandler(func(error) {}))
	if err := q.Start(context.Background()); !errors.Is(err, query.ErrNotRunning) {
		t.Errorf("second start: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Query(ctx, "x", nil, query.Params{}); err == nil {
		t.Error("query with a cancelled context")
	}
}

// TestFollowUpReachesMissedMember: a member cut off from gossip misses
// the broadcast; the origin's direct follow-up over the RPC channel still
// gets its answer, and it answers once.
func TestFollowUpReachesMissedMember(t *testing.T) {
	// Slow suspicion: the cut member stays in the live view (suspect)
	// long after the follow-up, however loaded the machine.
	c := clustertest.Memnet(t, 3, func(cfg *gossip.Config) { cfg.SuspicionMult = 50 })
	var qs []*query.Querier
	calls := make(chan string, 16)
	for _, n := range c.Nodes {
		q := startQ(t, n)
		id := n.LocalNode().ID
		q.Handle("ping", func(ctx context.Context, r query.Request) ([]byte, error) {
			calls <- id
			return []byte("pong from " + id), nil
		})
		qs = append(qs, q)
	}
	waitAdvertised(t, c.Nodes)
	c.Net.Cut("m2:1", true)
	defer c.Net.Cut("m2:1", false)
	p, err := qs[0].Query(context.Background(), "ping", nil, query.Params{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for r := range p.Responses {
		got[r.From] = true
		if len(got) == 3 {
			p.Close()
		}
	}
	if !got["m2"] {
		t.Fatalf("the cut member did not answer: %v", got)
	}
	close(calls)
	n := map[string]int{}
	for id := range calls {
		n[id]++
	}
	for id, k := range n {
		if k != 1 {
			t.Errorf("%s ran the handler %d times", id, k)
		}
	}
}
