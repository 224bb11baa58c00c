package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/redis/go-redis/v9"
)

var binary string

// TestMain builds the binary once; the tests run it as processes.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "libgossip-cache-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "libgossip-cache")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building: %v\n%s", err, out)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	redis.SetLogger(quietLog{}) // dial failures to the killed process are expected
	gossiptest.VerifyNone(m)
}

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

// proc is one running libgossip-cache process.
type proc struct {
	cmd                *exec.Cmd
	resp, gossip, peer string
	done               chan struct{}
	args               []string
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"-preset", "local", "-secret", "chaos", "-log-level", "error"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), args: args}
	t.Cleanup(func() { p.kill() })
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil {
		p.kill()
		t.Fatalf("%v: no ready line: %v", args, err)
	}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "resp":
			p.resp = v
		case "gossip":
			p.gossip = v
		case "peer":
			p.peer = v
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, r)
		_ = cmd.Wait()
		close(p.done)
	}()
	return p
}

// kill sends SIGKILL and waits for the process.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) rss(t *testing.T) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Skip("no /proc: ", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func members(c *redis.Client) int {
	info, err := c.Info(context.Background(), "cluster").Result()
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "libgossip_members:"); ok {
			return len(strings.Split(v, ","))
		}
	}
	return -1
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	gossiptest.WaitFor(t, timeout, what, cond)
}

// TestChaosKillRestart: three processes with R=2, W=2; writers set
// distinct keys through random nodes while one process is SIGKILLed and
// later restarted under the same id and addresses. Every acknowledged
// write must be readable afterwards. LIBGOSSIP_CACHE_CHAOS_KEYS sets the
// key count (default 20,000; the acceptance run uses 100,000).
func TestChaosKillRestart(t *testing.T) {
	total := 20000
	if s := os.Getenv("LIBGOSSIP_CACHE_CHAOS_KEYS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		total = n
	}
	var ps []*proc
	var nodeArgs [][]string
	// Fixed ports below the ephemeral range: while c2 is down, no outgoing
	// connection on the machine can take one of its ports and make the
	// restart fail to bind.
	for i := range 3 {
		args := []string{"-id", fmt.Sprintf("c%d", i), "-resp", gossiptest.FixedAddr(t), "-gossip", gossiptest.FixedAddr(t), "-peer", gossiptest.FixedAddr(t)}
		if i > 0 {
			args = append(args, "-join", ps[0].gossip)
		}
		nodeArgs = append(nodeArgs, args)
		ps = append(ps, start(t, args...))
	}
	clients := make([]*redis.Client, 3)
	for i, p := range ps {
		clients[i] = redis.NewClient(&redis.Options{Addr: p.resp, MaxRetries: -1, DialTimeout: time.Second,
			ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, PoolSize: 16,
			DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
		defer clients[i].Close()
	}
	waitFor(t, 30*time.Second, "3 members", func() bool {
		for _, c := range clients {
			if members(c) != 3 {
				return false
			}
		}
		return true
	})

	t0 := time.Now()
	var next, refused atomic.Int64
	gate := make(chan struct{}) // writers past 60% wait for the restart
	acked := make([][]int, 16)
	var wg sync.WaitGroup
	for w := range acked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				if i >= total*6/10 {
					<-gate
				}
				k := fmt.Sprintf("chaos:%d", i)
				c := rng.IntN(3)
				if err := clients[c].Set(context.Background(), k, "v"+strconv.Itoa(i), 0).Err(); err == nil {
					acked[w] = append(acked[w], i)
				} else if refused.Add(1)%500 == 1 {
					t.Logf("write %d through c%d refused: %v", i, c, err)
				}
			}
		}()
	}
	waitFor(t, 5*time.Minute, "30% written", func() bool { return next.Load() >= int64(total*3/10) })
	ps[2].kill()
	t.Logf("%v: SIGKILL c2 after %d writes (%d refused)", time.Since(t0).Round(time.Millisecond), next.Load(), refused.Load())
	waitFor(t, 5*time.Minute, "60% written", func() bool { return next.Load() >= int64(total*6/10) })
	waitFor(t, 30*time.Second, "the others see c2 gone", func() bool { return members(clients[0]) == 2 && members(clients[1]) == 2 })
	t.Logf("%v: c2 detected as failed", time.Since(t0).Round(time.Millisecond))
	ps[2] = start(t, nodeArgs[2]...)
	close(gate)
	t.Logf("%v: restarted c2 after %d writes (%d refused)", time.Since(t0).Round(time.Millisecond), next.Load(), refused.Load())
	wg.Wait()
	t.Logf("%v: all writes done (%d refused)", time.Since(t0).Round(time.Millisecond), refused.Load())
	waitFor(t, 30*time.Second, "3 members again", func() bool {
		for _, c := range clients {
			if members(c) != 3 {
				return false
			}
		}
		return true
	})
	t.Logf("%v: 3 members again", time.Since(t0).Round(time.Millisecond))
	var all []int
	for _, a := range acked {
		all = append(all, a...)
	}
	lost := 0
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < len(all); i += 500 {
		pipe := clients[rng.IntN(3)].Pipeline()
		batch := all[i:min(i+500, len(all))]
		cmds := make([]*redis.StringCmd, len(batch))
		for j, k := range batch {
			cmds[j] = pipe.Get(ctx, fmt.Sprintf("chaos:%d", k))
		}
		_, _ = pipe.Exec(ctx)
		for j, k := range batch {
			if v, err := cmds[j].Result(); err != nil || v != "v"+strconv.Itoa(k) {
				lost++
				if lost <= 5 {
					t.Errorf("acknowledged chaos:%d, read %q, %v", k, v, err)
				}
			}
		}
	}
	t.Logf("chaos: %d writes attempted, %d acknowledged, %d refused, %d acknowledged writes lost", total, len(all), refused.Load(), lost)
	if lost != 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(all))
	}
	if len(all) < total/2 {
		t.Fatalf("only %d of %d writes acknowledged", len(all), total)
	}
}

// TestIdleConnections: 10,000 idle clients on one process; memory stays
// bounded and another client is served.
func TestIdleConnections(t *testing.T) {
	p := start(t, "-resp", "127.0.0.1:0", "-gossip", "127.0.0.1:0", "-max-clients", "10100")
	base := p.rss(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 10000 {
		c, err := net.Dial("tcp", p.resp)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	cl := redis.NewClient(&redis.Options{Addr: p.resp})
	defer cl.Close()
	ctx := context.Background()
	waitFor(t, 30*time.Second, "10,000 clients connected", func() bool {
		info := cl.Info(ctx, "clients").Val()
		return strings.Contains(info, "connected_clients:1000")
	})
	if err := cl.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v := cl.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("GET = %q", v)
	}
	grew := p.rss(t) - base
	t.Logf("10,000 idle clients: RSS grew by %d MiB (%d bytes per client)", grew>>20, grew/10000)
	if grew > 1<<30 {
		t.Fatalf("RSS grew by %d MiB for 10,000 idle clients", grew>>20)
	}
}

// TestInternalPortRefusesStrangers: the internal port of a running
// process refuses a connection that does not authenticate as a member.
func TestInternalPortRefusesStrangers(t *testing.T) {
	p := start(t, "-resp", "127.0.0.1:0", "-gossip", "127.0.0.1:0")
	c, err := net.Dial("tcp", p.peer)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	hello := append([]byte{0, 0, 0, 9 + 32 + 8, 0, 0, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 32)...)
	hello = append(hello, "stranger"...)
	_, _ = c.Write(hello)
	b, _ := io.ReadAll(c)
	if !strings.Contains(string(b), "refused") {
		t.Fatalf("the internal port answered %q", b)
	}
	cl := redis.NewClient(&redis.Options{Addr: p.resp})
	defer cl.Close()
	if err := cl.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
