package main

import (
	"sync"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestRegistry(t *testing.T) {
	r := newRegistry()
	a := r.add("a")
	b := r.add(42)
	if a == 0 || b == 0 || a == b {
		t.Fatalf("handles %d, %d: want distinct and non-zero", a, b)
	}
	if s, ok := lookup[string](r, a); !ok || s != "a" {
		t.Errorf("lookup(a) = %q, %v; want \"a\", true", s, ok)
	}
	if _, ok := lookup[string](r, b); ok {
		t.Errorf("lookup of an int handle as string succeeded")
	}
	if _, ok := lookup[string](r, 0); ok {
		t.Errorf("lookup(0) succeeded")
	}
	if _, ok := r.remove(a); !ok {
		t.Errorf("remove(a) failed")
	}
	if _, ok := r.remove(a); ok {
		t.Errorf("second remove(a) succeeded")
	}
	if c := r.add("c"); c == a {
		t.Errorf("handle %d reused", c)
	}
	if n := r.len(); n != 2 {
		t.Errorf("len = %d, want 2", n)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := newRegistry()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 200 {
				h := r.add(i)
				if v, ok := lookup[int](r, h); !ok || v != i {
					t.Errorf("lookup(%d) = %d, %v; want %d", h, v, ok, i)
				}
				r.remove(h)
			}
		})
	}
	wg.Wait()
	if n := r.len(); n != 0 {
		t.Errorf("len = %d after all removed, want 0", n)
	}
}

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }
