package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/libgossip/libgossip/bench/fault"
)

// Memberlist is the adapter for hashicorp/memberlist v0.7.0 with
// DefaultLANConfig over its own NetTransport (UDP packets, TCP streams).
//
// memberlist reports joins, leaves (failed or left, told apart by the
// node's state) and updates through its EventDelegate. It has no suspicion
// callback; the adapter reads suspicions from its log line "Suspect X has
// failed, no acks received", written by the member that starts one. And
// v0.7.0 hands NotifyLeave a Node whose State field is never updated, so a
// graceful leave cannot be told from a failure: the adapter reports both as
// Failed, and the runner accepts Failed as the end of the leave phase.
type Memberlist struct{}

// Name returns "memberlist".
func (Memberlist) Name() string { return "memberlist" }

// Config returns the memberlist configuration for p, without name,
// transport or delegates.
func (Memberlist) Config(p Params) *memberlist.Config {
	c := memberlist.DefaultLANConfig()
	if p.ProbeInterval > 0 {
		c.ProbeInterval = p.ProbeInterval
	}
	if p.ProbeTimeout > 0 {
		c.ProbeTimeout = p.ProbeTimeout
	}
	if p.GossipInterval > 0 {
		c.GossipInterval = p.GossipInterval
	}
	if p.Fanout > 0 {
		c.GossipNodes = p.Fanout
	}
	if p.SuspicionMult > 0 {
		c.SuspicionMult = p.SuspicionMult
	}
	return c
}

// Start starts one memberlist member.
func (m Memberlist) Start(_ context.Context, spec NodeSpec) (Node, error) {
	logger := log.New(&suspectLog{id: spec.ID, observe: spec.Observe}, "", 0)
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"}, BindPort: 0, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	c := m.Config(spec.Params)
	c.Name = spec.ID
	c.Transport = fault.WrapMemberlist(nt, spec.Faults)
	if spec.Dials != nil {
		c.Transport = memberlistDials{Transport: c.Transport, d: spec.Dials}
	}
	c.Logger = logger
	d := &mlDelegate{id: spec.ID, observe: spec.Observe}
	c.Delegate = d
	c.Events = d
	ml, err := memberlist.Create(c)
	if err != nil {
		_ = c.Transport.Shutdown()
		return nil, err
	}
	return &mlNode{ml: ml, d: d, in: spec.Faults}, nil
}

type mlNode struct {
	ml   *memberlist.Memberlist
	d    *mlDelegate
	in   *fault.Injector
	once sync.Once
	err  error
}

func (n *mlNode) Addr() string { return n.ml.LocalNode().Address() }

func (n *mlNode) Join(_ context.Context, seed string) error {
	_, err := n.ml.Join([]string{seed})
	return err
}

func (n *mlNode) SetMeta(ctx context.Context, k, v string) error {
	n.d.setMeta(k + "=" + v)
	return n.ml.UpdateNode(timeout(ctx, 10*time.Second))
}

func (n *mlNode) Leave(ctx context.Context) error { return n.ml.Leave(timeout(ctx, 5*time.Second)) }

func (n *mlNode) Crash(ctx context.Context) error {
	n.in.SetDown(true)
	return n.Shutdown(ctx)
}

func (n *mlNode) Shutdown(context.Context) error {
	n.once.Do(func() { n.err = n.ml.Shutdown() })
	return n.err
}

func timeout(ctx context.Context, def time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return def
}

// mlDelegate serves metadata and turns memberlist's callbacks (which run
// under its member-list lock) into Events without blocking.
type mlDelegate struct {
	id      string
	observe func(Event)
	mu      sync.Mutex
	meta    []byte
}

func (d *mlDelegate) setMeta(s string) {
	d.mu.Lock()
	d.meta = []byte(s)
	d.mu.Unlock()
}

func (d *mlDelegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return nil
	}
	return append([]byte(nil), d.meta...)
}
func (d *mlDelegate) NotifyMsg([]byte)                           {}
func (d *mlDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *mlDelegate) LocalState(join bool) []byte                { return nil }
func (d *mlDelegate) MergeRemoteState(buf []byte, join bool)     {}

func (d *mlDelegate) emit(t EventType, n *memberlist.Node) {
	_, v, _ := strings.Cut(string(n.Meta), "=")
	d.observe(Event{Observer: d.id, Subject: n.Name, Type: t, Meta: v, Time: time.Now()})
}

func (d *mlDelegate) NotifyJoin(n *memberlist.Node)   { d.emit(Join, n) }
func (d *mlDelegate) NotifyLeave(n *memberlist.Node)  { d.emit(Failed, n) }
func (d *mlDelegate) NotifyUpdate(n *memberlist.Node) { d.emit(Update, n) }

// suspectLog is memberlist's log output: it discards everything but the
// line that starts a suspicion and the lines of a member refuting a
// suspicion or death of itself.
type suspectLog struct {
	id      string
	observe func(Event)
}

var (
	suspectPrefix = []byte("memberlist: Suspect ")
	refutePrefix  = [][]byte{[]byte("memberlist: Refuting a suspect message"), []byte("memberlist: Refuting a dead message")}
)

func (s *suspectLog) Write(b []byte) (int, error) {
	if i := bytes.Index(b, suspectPrefix); i >= 0 {
		var name string
		if _, err := fmt.Sscanf(string(b[i+len(suspectPrefix):]), "%s has failed", &name); err == nil {
			s.observe(Event{Observer: s.id, Subject: name, Type: Suspect, Time: time.Now(), Local: true})
		}
	}
	for _, p := range refutePrefix {
		if bytes.Contains(b, p) {
			s.observe(Event{Observer: s.id, Subject: s.id, Type: Refuted, Time: time.Now()})
			break
		}
	}
	return len(b), nil
}

var _ io.Writer = (*suspectLog)(nil)
