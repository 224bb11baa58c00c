package discovery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/discovery"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func members(is []discovery.Instance) string {
	var s []string
	for _, i := range is {
		s = append(s, i.Member)
	}
	return strings.Join(s, ",")
}

func TestGossipBackend(t *testing.T) {
	c := clustertest.Memnet(t, 3, nil)
	var gs []*discovery.Gossip
	for _, n := range c.Nodes {
		g := discovery.NewGossip(n)
		t.Cleanup(g.Close)
		gs = append(gs, g)
	}
	ctx := context.Background()
	if err := gs[0].Register(discovery.Service{Name: "api", Port: 8080, Tags: []string{"v2", "eu"}}); err != nil {
		t.Fatal(err)
	}
	if err := gs[1].Register(discovery.Service{Name: "api", Port: 8081, Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	gs[1].Register(discovery.Service{Name: "db", Port: 5432})
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := gs[2].Watch(wctx, "api", discovery.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 10*time.Second, "both api instances on m2", func() bool {
		is, _ := gs[2].Lookup(ctx, "api", discovery.Filter{})
		return members(is) == "m0,m1"
	})
	is, _ := gs[2].Lookup(ctx, "api", discovery.Filter{Tags: []string{"v2"}})
	if members(is) != "m0" || is[0].Port != 8080 || is[0].Addr() != "m0:8080" {
		t.Errorf("tag filter: %+v", is)
	}
	is, _ = gs[2].Lookup(ctx, "api", discovery.Filter{Member: "m1"})
	if members(is) != "m1" {
		t.Errorf("member filter: %+v", is)
	}
	// Unhealthy instances leave lookups.
	if err := gs[0].SetHealth("api", discovery.HealthCritical); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, 10*time.Second, "the critical instance gone", func() bool {
		is, _ := gs[2].Lookup(ctx, "api", discovery.Filter{})
		return members(is) == "m1"
	})
	// The watcher sees the latest state.
	clustertest.WaitFor(t, 10*time.Second, "the watch to report m1 only", func() bool {
		select {
		case is := <-w:
			return members(is) == "m1"
		default:
			return false
		}
	})
	// A failed member's services vanish with it.
	c.Net.Cut("m1:1", true)
	clustertest.WaitFor(t, 30*time.Second, "m1's services gone", func() bool {
		is, _ := gs[2].Lookup(ctx, "db", discovery.Filter{})
		return len(is) == 0
	})
	if err := gs[1].Deregister("db"); err != nil {
		t.Fatal(err)
	}
	if err := gs[1].Deregister("db"); !errors.Is(err, discovery.ErrNotFound) {
		t.Errorf("second deregister: %v", err)
	}
	if err := gs[0].SetHealth("nope", discovery.HealthPassing); !errors.Is(err, discovery.ErrNotFound) {
		t.Errorf("health of unknown: %v", err)
	}
	if err := gs[0].SetHealth("api", 9); !errors.Is(err, discovery.ErrInvalid) {
		t.Errorf("bad health: %v", err)
	}
	// Metadata is bounded: registrations that do not fit are refused.
	var err2 error
	for i := 0; i < 100 && err2 == nil; i++ {
		err2 = gs[0].Register(discovery.Service{Name: strings.Repeat("s", 40) + string(rune('A'+i%26)) + string(rune('A'+i/26)), Port: 1, Tags: []string{strings.Repeat("t", 60)}})
	}
	if !errors.Is(err2, discovery.ErrTooLarge) {
		t.Errorf("oversized registrations: %v", err2)
	}
	cancel()
	for range w {
	}
	gs[2].Close()
	if _, err := gs[2].Watch(ctx, "api", discovery.Filter{}); err == nil {
		t.Error("watch after close")
	}
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := gs[0].Lookup(cctx, "api", discovery.Filter{}); err == nil {
		t.Error("lookup with a cancelled context")
	}
}

func TestServicesCodec(t *testing.T) {
	ss := []discovery.Service{{Name: "api", Port: 80, Tags: []string{"a", "b"}, Health: discovery.HealthWarning}, {Name: "db", Port: 5432, Health: discovery.HealthPassing}}
	enc := discovery.EncodeServices(ss)
	got, err := discovery.DecodeServices(enc)
	if err != nil || len(got) != 2 || got[0].Health != discovery.HealthWarning || len(got[0].Tags) != 2 || got[1].Port != 5432 {
		t.Errorf("round trip %q: %+v %v", enc, got, err)
	}
	for _, bad := range []string{"api", "api:x:1:", "api:80:9:", "a pi:80:1:", "api:0:1:", "api:80:1:bad tag"} {
		if _, err := discovery.DecodeServices(bad); !errors.Is(err, discovery.ErrMalformed) {
			t.Errorf("DecodeServices(%q) = %v", bad, err)
		}
	}
	for _, s := range []discovery.Service{{Name: "", Port: 1}, {Name: "x", Port: 70000}, {Name: "x", Port: 1, Health: 7}, {Name: "x", Port: 1, Tags: []string{""}}} {
		if err := s.Validate(); !errors.Is(err, discovery.ErrInvalid) {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
	}
	if discovery.HealthWarning.String() != "warning" || discovery.Health(9).String() != "health(9)" {
		t.Error("Health.String")
	}
}

// FuzzDecodeServices: metadata from any member never panics the decoder,
// and what decodes re-encodes to the same string.
func FuzzDecodeServices(f *testing.F) {
	f.Add("api:80:1:a,b;db:5432:2:")
	f.Add("x:1:3:")
	f.Add(";;")
	f.Fuzz(func(t *testing.T, in string) {
		ss, err := discovery.DecodeServices(in)
		if err != nil {
			return
		}
		if got := discovery.EncodeServices(ss); got != in {
			back, err := discovery.DecodeServices(got)
			if err != nil || len(back) != len(ss) {
				t.Fatalf("re-encoding %q gave %q (%v)", in, got, err)
			}
		}
	})
}
