package core

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// TestNamesPrivateReleased: a core's own table forgets reaped members and
// reuses their numbers, so churn of ids does not grow it.
func TestNamesPrivateReleased(t *testing.T) {
	c := newCore(t, "a")
	for round := range 3 {
		now := t0.Add(time.Duration(round) * 2 * c.cfg.TombstoneTimeout)
		var msgs []wire.Message
		for i := range 10 {
			msgs = append(msgs, alive(fmt.Sprintf("r%d-%d", round, i), 1))
		}
		feed(t, c, now, "b:1", msgs...)
		for i := range 10 {
			id := fmt.Sprintf("r%d-%d", round, i)
			feed(t, c, now, "b:1", &wire.Dead{Incarnation: 1, ID: id, From: id})
		}
		c.Tick(now.Add(c.cfg.TombstoneTimeout))
		checkInvariants(t, c)
		if len(c.members) != 0 || c.names.nums.len() != 0 {
			t.Fatalf("round %d: %d records, %d names after reaping", round, len(c.members), c.names.nums.len())
		}
	}
	if got := len(c.names.idents); got != 10 {
		t.Errorf("table holds %d numbers after three rounds of 10 ids, want 10 (reused)", got)
	}
}

// TestNamesShared: cores sharing one table hold one identity per id and
// state, see the same members as cores with their own tables, and keep
// their own views of metadata.
func TestNamesShared(t *testing.T) {
	if _, err := New(LANConfig(), WithNames(nil)); !errors.Is(err, ErrConfig) {
		t.Errorf("WithNames(nil): %v, want ErrConfig", err)
	}
	names := NewNames()
	mk := func(id string, shared bool) *Core {
		cfg := LANConfig()
		cfg.ID, cfg.Addr, cfg.Rand = id, id+":1", rand.NewPCG(1, 2)
		opts := []Option{}
		if shared {
			opts = append(opts, WithNames(names))
		}
		c, err := New(cfg, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b, own := mk("a", true), mk("b", true), mk("c", false)
	for _, c := range []*Core{a, b, own} {
		feed(t, c, t0, "x:1", alive("x", 1), alive("y", 1))
	}
	ma, mb := a.lookup("x"), b.lookup("x")
	if ma == nil || mb == nil || ma.ref != mb.ref {
		t.Fatal("cores sharing a table do not share x's identity")
	}
	// x changes its metadata; only a hears of it.
	meta, _ := wire.EncodeMeta(map[string]string{"role": "db"}, 512)
	feed(t, a, t0, "x:1", &wire.Alive{Incarnation: 2, ID: "x", Addr: "x:1", Meta: meta})
	if v, _ := a.Member("x"); v.Meta["role"] != "db" {
		t.Errorf("a sees x as %v, want the new metadata", v)
	}
	if v, _ := b.Member("x"); len(v.Meta) != 0 || v.Incarnation != 1 {
		t.Errorf("b sees x as %v after only a heard of the change", v)
	}
	for _, c := range []*Core{a, b, own} {
		checkInvariants(t, c)
		if got := len(c.Members()); got != 3 {
			t.Errorf("%s holds %d members, want 3", c.ID(), got)
		}
	}
	if names.nums.len() != 2 {
		t.Errorf("shared table numbers %d ids, want 2", names.nums.len())
	}
}
