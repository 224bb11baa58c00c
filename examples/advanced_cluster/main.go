// Command advanced_cluster shows metadata and graceful departure: nodes
// start with metadata (zone, role), an observer subscribes to events, one
// node changes its metadata and the change spreads, a user broadcast
// reaches everyone, and a node leaves gracefully — seen as "left", not
// "failed", by every other member.
//
//	go run ./advanced_cluster
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/examples/internal/example"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "advanced_cluster:", err)
		os.Exit(1)
	}
}

// printer serializes output from the event goroutine and the main one.
type printer struct {
	mu    sync.Mutex
	out   io.Writer
	start time.Time
}

func (p *printer) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "[%5.2fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

func metaString(m map[string]string) string {
	var b strings.Builder
	for _, k := range []string{"zone", "role", "version"} {
		if v, ok := m[k]; ok {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	return strings.TrimSpace(b.String())
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("advanced_cluster", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := &printer{out: out, start: time.Now()}
	quiet := example.Quiet()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	specs := []struct{ id, zone, role string }{
		{"api-1", "eu-west", "api"}, {"api-2", "eu-east", "api"},
		{"db-1", "eu-west", "db"}, {"cache-1", "eu-east", "cache"},
	}
	var nodes []*gossip.Node
	defer func() {
		for _, n := range nodes {
			_ = n.Shutdown(context.Background())
		}
	}()
	for _, s := range specs {
		tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(quiet))
		if err != nil {
			return err
		}
		cfg := gossip.LocalConfig()
		cfg.ID = s.id
		cfg.Meta = map[string]string{"zone": s.zone, "role": s.role, "version": "1.0"}
		n, err := gossip.New(cfg, tr, gossip.WithLogger(quiet))
		if err != nil {
			return err
		}
		if err := n.Start(ctx); err != nil {
			return err
		}
		nodes = append(nodes, n)
	}

	// The observer (api-1) narrates every event it sees.
	observer := nodes[0]
	sub := observer.Subscribe(256)
	var (
		mu     sync.Mutex
		seen   = map[string]int{}
		events sync.WaitGroup
	)
	events.Add(1)
	go func() {
		defer events.Done()
		for e := range sub.C {
			switch e.Type {
			case gossip.EventUser:
				p.say("api-1 got broadcast from %s: %q", e.Member.ID, e.Payload)
			case gossip.EventJoin, gossip.EventUpdate:
				p.say("api-1 event %-6s %s [%s]", e.Type, e.Member.ID, metaString(e.Member.Meta))
			default:
				p.say("api-1 event %-6s %s", e.Type, e.Member.ID)
			}
			mu.Lock()
			seen[e.Type.String()+" "+e.Member.ID]++
			mu.Unlock()
		}
	}()
	defer events.Wait()
	defer sub.Close()
	saw := func(key string) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return seen[key] > 0 }
	}

	for _, n := range nodes[1:] {
		if err := n.Join(ctx, observer.LocalNode().Addr); err != nil {
			return err
		}
	}
	if err := example.WaitFor(10*time.Second, example.AllLive(len(nodes), nodes...)); err != nil {
		return fmt.Errorf("cluster did not form: %w", err)
	}
	p.say("cluster formed with %d members", len(nodes))

	// Find the members with a given role from metadata, as a client would.
	var dbs []string
	for _, m := range nodes[3].LiveMembers() {
		if m.Meta["role"] == "db" {
			dbs = append(dbs, m.ID+"@"+m.Addr)
		}
	}
	p.say("cache-1 finds role=db at %v", dbs)

	// db-1 is upgraded: its new metadata spreads with a higher incarnation.
	t0 := time.Now()
	if err := nodes[2].SetMeta(map[string]string{"zone": "eu-west", "role": "db", "version": "2.0"}); err != nil {
		return err
	}
	if err := example.WaitFor(10*time.Second, func() bool {
		for _, n := range nodes {
			for _, m := range n.Members() {
				if m.ID == "db-1" && m.Meta["version"] != "2.0" {
					return false
				}
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("metadata did not spread: %w", err)
	}
	p.say("db-1 version=2.0 known to all members after %v", time.Since(t0).Round(time.Millisecond))

	// A user broadcast from cache-1.
	if err := nodes[3].Broadcast([]byte("cache warm")); err != nil {
		return err
	}
	if err := example.WaitFor(10*time.Second, saw("user cache-1")); err != nil {
		return fmt.Errorf("broadcast not received: %w", err)
	}

	// api-2 leaves gracefully, then shuts down.
	t0 = time.Now()
	if err := nodes[1].Leave(ctx); err != nil {
		return err
	}
	if err := nodes[1].Shutdown(ctx); err != nil {
		return err
	}
	if err := example.WaitFor(10*time.Second, func() bool {
		for _, n := range []*gossip.Node{nodes[0], nodes[2], nodes[3]} {
			left := false
			for _, m := range n.Members() {
				left = left || (m.ID == "api-2" && m.State == gossip.StateLeft)
			}
			if !left {
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("leave not seen: %w", err)
	}
	p.say("api-2 left gracefully; all members saw it as left after %v", time.Since(t0).Round(time.Millisecond))
	// Give the failure detector a few probe periods: a left member is never
	// probed, so no failure is reported.
	_ = example.WaitFor(time.Second, saw("failed api-2"))
	mu.Lock()
	failed := seen["failed api-2"]
	mu.Unlock()
	p.say("failure events for api-2 within 1s: %d (a graceful leave is not a failure)", failed)
	for _, m := range observer.Members() {
		p.say("  %-8s %-6s %s", m.ID, m.State, metaString(m.Meta))
	}
	return nil
}
