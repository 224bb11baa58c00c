// Package static holds the discovery backends that do not use gossip: a
// fixed (replaceable) list of instances, and DNS SRV records. Both
// satisfy discovery.Backend, so a program can start on a static list or
// DNS and move to gossip without changing its lookups.
package static

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/discovery"
)

// List is a backend over a list of instances that the caller sets. It is
// safe for concurrent use.
type List struct {
	mu        sync.Mutex
	instances []discovery.Instance
	changed   chan struct{} // closed and replaced on every Set
}

var _ discovery.Backend = (*List)(nil)

// New returns a List holding instances.
func New(instances ...discovery.Instance) *List {
	return &List{instances: slices.Clone(instances), changed: make(chan struct{})}
}

// Set replaces the instances and wakes the watchers.
func (l *List) Set(instances ...discovery.Instance) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.instances = slices.Clone(instances)
	close(l.changed)
	l.changed = make(chan struct{})
}

// Lookup returns the healthy instances of name that pass f.
func (l *List) Lookup(ctx context.Context, name string, f discovery.Filter) ([]discovery.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return discovery.Select(l.instances, name, f), nil
}

// Watch delivers the result of Lookup now and after every Set that
// changes it, until ctx ends. Its goroutine ends with ctx.
func (l *List) Watch(ctx context.Context, name string, f discovery.Filter) (<-chan []discovery.Instance, error) {
	return watch(ctx, func(ctx context.Context) ([]discovery.Instance, <-chan struct{}, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return discovery.Select(l.instances, name, f), l.changed, nil
	}), nil
}

// watch runs a watch loop over next, which returns the current result and
// a channel that fires when it may have changed.
func watch(ctx context.Context, next func(context.Context) ([]discovery.Instance, <-chan struct{}, error)) <-chan []discovery.Instance {
	out := make(chan []discovery.Instance, 1)
	go func() {
		defer close(out)
		var last []discovery.Instance
		first := true
		for {
			cur, wake, err := next(ctx)
			if err == nil && (first || !same(cur, last)) {
				first, last = false, cur
				select {
				case <-out:
				default:
				}
				out <- cur
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
		}
	}()
	return out
}

func same(a, b []discovery.Instance) bool {
	return slices.EqualFunc(a, b, func(x, y discovery.Instance) bool {
		return x.Name == y.Name && x.Port == y.Port && x.Health == y.Health && x.Member == y.Member &&
			x.Host == y.Host && slices.Equal(x.Tags, y.Tags)
	})
}

// SRVResolver is the DNS question the DNS backend asks; *net.Resolver
// satisfies it.
type SRVResolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// DNS is a backend over DNS SRV records: the instances of service name
// are the targets of _name._tcp.<Domain>. Every instance is taken as
// healthy (DNS carries no health) and untagged; Member is the target
// name. It is safe for concurrent use.
type DNS struct {
	// Resolver answers the SRV questions. Nil means net.DefaultResolver.
	Resolver SRVResolver
	// Domain is the zone the services live under.
	Domain string
	// Proto is the SRV protocol label without its underscore. Default
	// "tcp".
	Proto string
	// Interval is how often Watch asks again. Default 30s.
	Interval time.Duration
}

var _ discovery.Backend = (*DNS)(nil)

// Lookup asks for the SRV records of name and returns the instances that
// pass f.
func (d *DNS) Lookup(ctx context.Context, name string, f discovery.Filter) ([]discovery.Instance, error) {
	r := d.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	proto := d.Proto
	if proto == "" {
		proto = "tcp"
	}
	_, srvs, err := r.LookupSRV(ctx, name, proto, d.Domain)
	if err != nil {
		return nil, err
	}
	var all []discovery.Instance
	for _, s := range srvs {
		host := strings.TrimSuffix(s.Target, ".")
		all = append(all, discovery.Instance{
			Service: discovery.Service{Name: name, Port: int(s.Port), Health: discovery.HealthPassing},
			Member:  host, Host: host,
		})
	}
	return discovery.Select(all, name, f), nil
}

// Watch asks every Interval and delivers the result when it changes,
// until ctx ends. Failed lookups are skipped.
func (d *DNS) Watch(ctx context.Context, name string, f discovery.Filter) (<-chan []discovery.Instance, error) {
	iv := d.Interval
	if iv <= 0 {
		iv = 30 * time.Second
	}
	return watch(ctx, func(ctx context.Context) ([]discovery.Instance, <-chan struct{}, error) {
		res, err := d.Lookup(ctx, name, f)
		wake := make(chan struct{})
		time.AfterFunc(iv, func() { close(wake) })
		return res, wake, err
	}), nil
}
