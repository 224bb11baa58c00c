// Command demo runs a small libgossip cluster on loopback sockets and
// narrates what happens: the cluster forms, a crashed member is detected, a
// metadata change spreads, and a member leaves gracefully. It exits with a
// summary.
//
//	go run ./examples/demo                     # 5 members, hybrid UDP+TCP on 127.0.0.1
//	go run ./examples/demo -nodes 8 -transport memnet
//	go run ./examples/demo -dashboard          # then keeps running: live dashboard and /metrics
//
// With -dashboard (make demo ARGS=-dashboard) the members are instrumented
// with the monitoring module, the dashboard, /metrics, /healthz and /readyz
// are served on 127.0.0.1 (-http), the story runs at a pace a person can
// follow in the browser, and the cluster keeps running, with a traced
// broadcast every few seconds, until Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/monitoring"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type cluster struct {
	mu    sync.Mutex // serializes writes to out
	out   io.Writer
	start time.Time
	nodes []*gossip.Node
	net   *memnet.Network
	obs   *observed // nil without -dashboard
	pace  time.Duration
}

// pause lets a person watching the dashboard see one act before the next.
func (c *cluster) pause() {
	if c.pace > 0 {
		time.Sleep(c.pace)
	}
}

func (c *cluster) say(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "[%6.2fs] %s\n", time.Since(c.start).Seconds(), fmt.Sprintf(format, args...))
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) (time.Duration, error) {
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > timeout {
			return time.Since(t0), errors.New("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(t0), nil
}

func stateAt(n *gossip.Node, id string) gossip.State {
	for _, v := range n.Members() {
		if v.ID == id {
			return v.State
		}
	}
	return 255
}

// run tells the story; with -dashboard it then serves until parent ends.
func run(parent context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	size := fs.Int("nodes", 5, "cluster size (at least 3)")
	kind := fs.String("transport", "hybrid", "hybrid, udp or tcp (sockets on 127.0.0.1), or memnet (in memory)")
	dash := fs.Bool("dashboard", false, "serve the live dashboard and /metrics, and keep the cluster running until Ctrl-C")
	addr := fs.String("http", "127.0.0.1:8080", "with -dashboard: the address to serve on (port 0 picks a free one)")
	pace := fs.Duration("pace", 3*time.Second, "with -dashboard: the pause between the story's acts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *size < 3 {
		return fmt.Errorf("need at least 3 nodes, got %d", *size)
	}
	ctx, cancel := context.WithTimeout(parent, 60*time.Second+time.Duration(4)**pace)
	defer cancel()
	c := &cluster{out: out, start: time.Now(), net: memnet.New(1)}
	if *dash {
		o, err := newObserved(ctx, *addr)
		if err != nil {
			return err
		}
		defer o.close()
		c.obs, c.pace = o, *pace
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	defer func() {
		for _, n := range c.nodes {
			_ = n.Shutdown(context.Background())
		}
	}()

	where := "on an in-memory network"
	if *kind != "memnet" {
		where = fmt.Sprintf("over %s sockets on 127.0.0.1", *kind)
	}
	c.say("starting %d members %s (local preset: probe every 200ms)", *size, where)
	for i := range *size {
		cfg := gossip.LocalConfig()
		cfg.ID = fmt.Sprintf("node-%d", i+1)
		cfg.Meta = map[string]string{"role": "worker"}
		var tr gossip.Transport
		var sockets *lgnet.Transport
		if *kind == "memnet" {
			tr = c.net.Transport(cfg.ID)
		} else {
			t, err := lgnet.New(*kind+"://127.0.0.1:0", lgnet.WithLogger(quiet))
			if err != nil {
				return err
			}
			tr, sockets = t, t
		}
		var pt *monitoring.ProbeTimer
		if c.obs != nil {
			pt = monitoring.NewProbeTimer()
			tr = gossip.Chain(tr, pt.Middleware)
		}
		n, err := gossip.New(cfg, tr, gossip.WithLogger(quiet))
		if err != nil {
			return err
		}
		if c.obs != nil {
			if err := c.obs.add(n, sockets, pt); err != nil {
				return err
			}
		}
		if err := n.Start(ctx); err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
	}
	if c.obs != nil {
		if err := c.obs.serve(); err != nil {
			return err
		}
		c.say("dashboard: %s   metrics: %smetrics", c.obs.url(), c.obs.url())
		c.pause()
	}
	obs := c.nodes[0]
	sub := obs.Subscribe(1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C {
			c.say("  node-1 sees: %-7s %s", e.Type, e.Member.ID)
		}
	}()

	for i, n := range c.nodes[1:] {
		join := n.Join
		if c.obs != nil {
			join = c.obs.mons[i+1].Join // traced
		}
		if err := join(ctx, obs.LocalNode().Addr); err != nil {
			return err
		}
	}
	formed, err := waitFor(20*time.Second, func() bool {
		for _, n := range c.nodes {
			if len(n.LiveMembers()) != *size {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("cluster did not form: %w", err)
	}
	c.say("cluster formed: every member sees all %d alive (%v)", *size, formed.Round(time.Millisecond))

	c.pause()
	victim := c.nodes[*size-1]
	vid := victim.LocalNode().ID
	c.say("crashing %s: it closes its sockets and stops without a word", vid)
	c.net.Cut(vid, true)
	_ = victim.Shutdown(ctx)
	live := c.nodes[:*size-1]
	detected, err := waitFor(20*time.Second, func() bool {
		for _, n := range live {
			if stateAt(n, vid) != gossip.StateDead {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("crash not detected: %w", err)
	}
	c.say("every live member declared %s failed (%v after the crash)", vid, detected.Round(time.Millisecond))

	c.pause()
	changer := live[1]
	cid := changer.LocalNode().ID
	c.say("%s changes its metadata to role=leader", cid)
	if err := changer.SetMeta(map[string]string{"role": "leader"}); err != nil {
		return err
	}
	spread, err := waitFor(20*time.Second, func() bool {
		for _, n := range live {
			for _, v := range n.Members() {
				if v.ID == cid && v.Meta["role"] != "leader" {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("metadata did not spread: %w", err)
	}
	c.say("every live member sees role=leader on %s (%v)", cid, spread.Round(time.Millisecond))

	c.pause()
	leaver := live[len(live)-1]
	lid := leaver.LocalNode().ID
	c.say("%s leaves gracefully", lid)
	if err := leaver.Leave(ctx); err != nil {
		return err
	}
	remaining := live[:len(live)-1]
	left, err := waitFor(20*time.Second, func() bool {
		for _, n := range remaining {
			if stateAt(n, lid) != gossip.StateLeft {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("leave not seen: %w", err)
	}
	c.say("every remaining member sees %s as left (%v)", lid, left.Round(time.Millisecond))
	_ = leaver.Shutdown(ctx)
	if c.obs != nil {
		c.say("the cluster keeps running: open %s (Ctrl-C to stop)", c.obs.url())
		c.obs.keepAlive(parent, remaining)
	}

	st := obs.Stats()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	_ = obs.Shutdown(sctx)
	<-done
	fmt.Fprintf(out, "\nsummary: formed in %v, crash detected in %v, metadata spread in %v, leave seen in %v\n",
		formed.Round(time.Millisecond), detected.Round(time.Millisecond), spread.Round(time.Millisecond), left.Round(time.Millisecond))
	fmt.Fprintf(out, "node-1 sent %d packets (%d bytes) and received %d; %d probes, %d failed\n",
		st.PacketsOut, st.BytesOut, st.PacketsIn, st.Probes, st.ProbesFailed)
	return nil
}
