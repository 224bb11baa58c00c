package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
)

// echoOwner answers a reqExecBatch with each command's arguments joined
// by spaces, for at most limit commands (0: all); the first gate
// requests wait for release.
type echoOwner struct {
	limit   int
	mu      sync.Mutex
	gate    int
	release chan struct{}
}

func (o *echoOwner) Serve(_ context.Context, _ string, typ byte, p []byte) ([]byte, error) {
	o.mu.Lock()
	wait := o.gate > 0
	if wait {
		o.gate--
	}
	o.mu.Unlock()
	if wait {
		<-o.release
	}
	reqs, err := peer.DecodeBatch(p)
	if err != nil || typ != reqExecBatch {
		return nil, fmt.Errorf("bad request: %v", err)
	}
	var replies [][]byte
	for i, r := range reqs {
		if o.limit > 0 && i == o.limit {
			break
		}
		_, args, err := peer.DecodeExec(r)
		if err != nil {
			return nil, err
		}
		replies = append(replies, bytes.Join(args, []byte(" ")))
	}
	return peer.EncodeBatch(replies), nil
}

func startEchoOwner(t *testing.T, o *echoOwner) (*peer.Server, *peer.Pool, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := peer.NewServer([]byte("s"), func(string) bool { return true }, o, peer.Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Serve(ln)
	p := peer.NewPool(peer.PoolConfig{ID: "a", Secret: []byte("s")})
	t.Cleanup(func() {
		_ = p.Close()
		_ = s.Close()
	})
	return s, p, ln.Addr().String()
}

// forwardAll forwards each caller's commands (as many calls as the
// owner's prefixes need) and checks that every caller gets the replies
// to its own commands, in order.
func forwardAll(t *testing.T, f *forwarder, p *peer.Pool, addr string, callers, per int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cmds [][][]byte
			for j := range per {
				cmds = append(cmds, [][]byte{[]byte("set"), fmt.Appendf(nil, "k%d", i), fmt.Appendf(nil, "v%d", j)})
			}
			var c fwdCall
			var enc []byte
			for len(cmds) > 0 {
				c.proto, c.cmds = 2, cmds
				f.call(context.Background(), p, addr, &c, &enc)
				if c.err != nil {
					errs <- c.err
					return
				}
				for k, r := range c.replies {
					if want := bytes.Join(cmds[k], []byte(" ")); !bytes.Equal(r, want) {
						errs <- fmt.Errorf("caller %d: reply %q, want %q", i, r, want)
						return
					}
				}
				if len(c.replies) == 0 {
					cmds = cmds[1:] // the node runs it the ordinary way
					continue
				}
				cmds = cmds[len(c.replies):]
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestForwarderAnswersEachCaller(t *testing.T) {
	for _, tc := range []struct {
		name         string
		limit        int
		callers, per int
	}{
		{"one command each", 0, 50, 1},
		{"pipelines", 0, 50, 16},
		{"owner answers a prefix", 5, 30, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, addr := startEchoOwner(t, &echoOwner{limit: tc.limit})
			var f forwarder
			forwardAll(t, &f, p, addr, tc.callers, tc.per)
			q := f.queue(addr)
			q.mu.Lock()
			defer q.mu.Unlock()
			if len(q.waiting) != 0 || q.inflight != 0 {
				t.Errorf("after the calls: %d waiting, %d in flight; want 0, 0", len(q.waiting), q.inflight)
			}
		})
	}
}

// Callers that arrive while the queue's bound of requests are out go
// together in the next request; the bound is the CPUs running Go code
// (GOMAXPROCS), at most maxFwdInflight.
func TestForwarderMerges(t *testing.T) {
	for _, procs := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			testForwarderMerges(t, min(procs, maxFwdInflight))
		})
	}
}

func testForwarderMerges(t *testing.T, out int) {
	o := &echoOwner{gate: out, release: make(chan struct{})}
	s, p, addr := startEchoOwner(t, o)
	var f forwarder
	q := f.queue(addr)
	if q.max != out {
		t.Fatalf("queue bound %d, want %d", q.max, out)
	}
	var wg sync.WaitGroup
	calls := make([]fwdCall, 40)
	start := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i].proto, calls[i].cmds = 2, [][][]byte{{[]byte("get"), fmt.Appendf(nil, "k%d", i)}}
			var enc []byte
			f.call(context.Background(), p, addr, &calls[i], &enc)
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for deadline := time.Now().Add(30 * time.Second); !cond(); <-tick.C {
			if time.Now().After(deadline) {
				t.Fatal("timed out waiting for " + what)
			}
		}
	}
	for i := range out {
		start(i)
	}
	waitFor("the first requests at the owner", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.gate == 0
	})
	for i := out; i < len(calls); i++ {
		start(i)
	}
	waitFor("the other callers queued", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.waiting) == len(calls)-out
	})
	close(o.release)
	wg.Wait()
	for i, c := range calls {
		if want := fmt.Sprintf("get k%d", i); c.err != nil || len(c.replies) != 1 || string(c.replies[0]) != want {
			t.Errorf("caller %d: replies %q, err %v; want [%q]", i, c.replies, c.err, want)
		}
	}
	if got := s.Stats().Requests; got != uint64(out+1) {
		t.Errorf("%d requests for %d callers, want %d (the first %d alone, the rest merged)", got, len(calls), out+1, out)
	}
}
