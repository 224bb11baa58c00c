package discovery

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/internal/membermeta"
	"github.com/libgossip/libgossip/gossip"
)

// MetaKey is the member metadata key that carries a member's services.
const MetaKey = "svc"

// watchRecheck is how often a watch looks at the membership even without
// an event.
const watchRecheck = 250 * time.Millisecond

// Gossip is the gossip backend: each member registers its own services
// in its metadata, and lookups read the live membership. It is safe for
// concurrent use. Watches started with Watch run until their context
// ends or Close.
type Gossip struct {
	node *gossip.Node

	mu       sync.Mutex
	services []Service
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

var _ Backend = (*Gossip)(nil)

// NewGossip returns the gossip backend for node. It starts nothing.
func NewGossip(node *gossip.Node) *Gossip {
	ctx, cancel := context.WithCancel(context.Background())
	return &Gossip{node: node, ctx: ctx, cancel: cancel}
}

// Register adds or replaces (by name) a service of this member and
// spreads it. Errors wrap ErrInvalid or ErrTooLarge (the registration is
// then undone).
func (g *Gossip) Register(s Service) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Health == 0 {
		s.Health = HealthPassing
	}
	s.Tags = slices.Clone(s.Tags)
	g.mu.Lock()
	defer g.mu.Unlock()
	next := slices.Clone(g.services)
	i := slices.IndexFunc(next, func(x Service) bool { return x.Name == s.Name })
	if i >= 0 {
		next[i] = s
	} else {
		next = append(next, s)
	}
	return g.publishLocked(next)
}

// Deregister removes this member's service name (ErrNotFound if absent).
func (g *Gossip) Deregister(name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.services, func(x Service) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return g.publishLocked(slices.Delete(slices.Clone(g.services), i, i+1))
}

// SetHealth changes the health of this member's service name.
func (g *Gossip) SetHealth(name string, h Health) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.services, func(x Service) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if h < HealthPassing || h > HealthCritical {
		return fmt.Errorf("%w: health %d", ErrInvalid, h)
	}
	next := slices.Clone(g.services)
	next[i].Health = h
	return g.publishLocked(next)
}

func (g *Gossip) publishLocked(next []Service) error {
	if err := membermeta.Set(g.node, MetaKey, EncodeServices(next)); err != nil {
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	g.services = next
	return nil
}

// Instances returns every service instance of every live member,
// skipping members whose metadata does not decode.
func (g *Gossip) Instances() []Instance {
	var out []Instance
	for _, v := range g.node.LiveMembers() {
		ss, err := DecodeServices(v.Meta[MetaKey])
		if err != nil {
			continue
		}
		host, _, err := net.SplitHostPort(v.Addr)
		if err != nil {
			host = v.Addr
		}
		for _, s := range ss {
			out = append(out, Instance{Service: s, Member: v.ID, Host: host})
		}
	}
	return out
}

// Lookup returns the healthy instances of name that pass f. It does not
// block on the network.
func (g *Gossip) Lookup(ctx context.Context, name string, f Filter) ([]Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Select(g.Instances(), name, f), nil
}

// Watch delivers Lookup's result now and after every membership change
// that alters it (seen within 250ms), until ctx ends or Close.
func (g *Gossip) Watch(ctx context.Context, name string, f Filter) (<-chan []Instance, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, fmt.Errorf("discovery: backend closed")
	}
	sub := g.node.Subscribe(256)
	out := make(chan []Instance, 1)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer close(out)
		defer sub.Close()
		// Events may arrive a moment before the membership snapshot
		// that Instances reads reflects them: look again periodically
		// too.
		tick := time.NewTicker(watchRecheck)
		defer tick.Stop()
		var last []Instance
		first := true
		for {
			cur := Select(g.Instances(), name, f)
			if first || !equal(cur, last) {
				first = false
				last = cur
				select { // keep only the latest result for a slow reader
				case <-out:
				default:
				}
				out <- cur
			}
			select {
			case <-ctx.Done():
				return
			case <-g.ctx.Done():
				return
			case _, ok := <-sub.C:
				if !ok {
					return
				}
			case <-tick.C:
			}
		}
	}()
	return out, nil
}

// Close ends every watch and waits for their goroutines.
func (g *Gossip) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
}

func equal(a, b []Instance) bool {
	return slices.EqualFunc(a, b, func(x, y Instance) bool {
		return x.Name == y.Name && x.Port == y.Port && x.Health == y.Health && x.Member == y.Member &&
			x.Host == y.Host && slices.Equal(x.Tags, y.Tags)
	})
}
