package static_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/discovery"
	"github.com/libgossip/libgossip/cluster/discovery/static"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func inst(member string, port int, h discovery.Health, tags ...string) discovery.Instance {
	return discovery.Instance{Service: discovery.Service{Name: "api", Port: port, Health: h, Tags: tags}, Member: member, Host: member}
}

func TestList(t *testing.T) {
	l := static.New(inst("b", 2, discovery.HealthPassing), inst("a", 1, discovery.HealthPassing, "x"), inst("c", 3, discovery.HealthCritical))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, _ := l.Lookup(ctx, "api", discovery.Filter{})
	if len(got) != 2 || got[0].Member != "a" {
		t.Errorf("Lookup = %+v", got)
	}
	if got, _ := l.Lookup(ctx, "api", discovery.Filter{Tags: []string{"x"}}); len(got) != 1 {
		t.Errorf("tags: %+v", got)
	}
	w, _ := l.Watch(ctx, "api", discovery.Filter{})
	if first := <-w; len(first) != 2 {
		t.Errorf("first watch result %+v", first)
	}
	l.Set(inst("d", 4, discovery.HealthPassing))
	select {
	case next := <-w:
		if len(next) != 1 || next[0].Member != "d" {
			t.Errorf("after Set: %+v", next)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no watch update")
	}
	cancel()
	for range w {
	}
	if _, err := l.Lookup(ctx, "api", discovery.Filter{}); err == nil {
		t.Error("lookup with a cancelled context")
	}
}

type fakeSRV struct {
	mu   sync.Mutex
	recs []*net.SRV
}

func (f *fakeSRV) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if service != "api" || proto != "tcp" || name != "svc.test" {
		return "", nil, errors.New("no such name")
	}
	return "", f.recs, nil
}

func TestDNS(t *testing.T) {
	r := &fakeSRV{recs: []*net.SRV{{Target: "b.svc.test.", Port: 80}, {Target: "a.svc.test.", Port: 81}}}
	d := &static.DNS{Resolver: r, Domain: "svc.test", Interval: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, err := d.Lookup(ctx, "api", discovery.Filter{})
	if err != nil || len(got) != 2 || got[0].Addr() != "a.svc.test:81" {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	if _, err := d.Lookup(ctx, "other", discovery.Filter{}); err == nil {
		t.Error("unknown name resolved")
	}
	w, _ := d.Watch(ctx, "api", discovery.Filter{})
	<-w
	r.mu.Lock()
	r.recs = r.recs[:1]
	r.mu.Unlock()
	select {
	case next := <-w:
		if len(next) != 1 {
			t.Errorf("after the DNS change: %+v", next)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not follow the DNS change")
	}
	cancel()
	for range w {
	}
}
