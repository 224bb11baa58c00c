// Command demo runs a small libgossip cluster on loopback sockets and
// narrates what happens: the cluster forms, a crashed member is detected, a
// metadata change spreads, and a member leaves gracefully. It exits with a
// summary.
//
//	go run ./examples/demo                     # 5 members, hybrid UDP+TCP on 127.0.0.1
//	go run ./examples/demo -nodes 8 -transport memnet
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
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

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	size := fs.Int("nodes", 5, "cluster size (at least 3)")
	kind := fs.String("transport", "hybrid", "hybrid, udp or tcp (sockets on 127.0.0.1), or memnet (in memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *size < 3 {
		return fmt.Errorf("need at least 3 nodes, got %d", *size)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := &cluster{out: out, start: time.Now(), net: memnet.New(1)}
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
		if *kind == "memnet" {
			tr = c.net.Transport(cfg.ID)
		} else {
			t, err := lgnet.New(*kind + "://127.0.0.1:0")
			if err != nil {
				return err
			}
			tr = t
		}
		n, err := gossip.New(cfg, tr, gossip.WithLogger(quiet))
		if err != nil {
			return err
		}
		if err := n.Start(ctx); err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
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

	for _, n := range c.nodes[1:] {
		if err := n.Join(ctx, obs.LocalNode().Addr); err != nil {
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

	st := obs.Stats()
	_ = obs.Shutdown(ctx)
	<-done
	fmt.Fprintf(out, "\nsummary: formed in %v, crash detected in %v, metadata spread in %v, leave seen in %v\n",
		formed.Round(time.Millisecond), detected.Round(time.Millisecond), spread.Round(time.Millisecond), left.Round(time.Millisecond))
	fmt.Fprintf(out, "node-1 sent %d packets (%d bytes) and received %d; %d probes, %d failed\n",
		st.PacketsOut, st.BytesOut, st.PacketsIn, st.Probes, st.ProbesFailed)
	return nil
}
