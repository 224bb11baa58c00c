package core

import (
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// pair returns two cores, a and b, that know each other and c, so that
// their tables hold the same three records.
func pair(t *testing.T) (a, b *Core) {
	t.Helper()
	a, b = newCore(t, "a"), newCore(t, "b")
	feed(t, a, t0, "b:1", alive("b", b.LocalNode().Incarnation), alive("c", 1))
	feed(t, b, t0, "a:1", alive("a", a.LocalNode().Incarnation), alive("c", 1))
	return a, b
}

// fullStates returns the full-state exchanges among msgs, decoded.
func fullStates(t *testing.T, msgs []Outbound) []*wire.PushPull {
	t.Helper()
	var out []*wire.PushPull
	for _, o := range msgs {
		ms, err := wire.DecodePacket(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		if pp, ok := ms[0].(*wire.PushPull); ok {
			out = append(out, pp)
		}
	}
	return out
}

// TestDigestSameTables: members whose tables hold the same records give the
// same digest, and a digest equal to the receiver's own starts nothing.
// Any difference (a record more, another incarnation, state or metadata)
// changes the digest.
func TestDigestSameTables(t *testing.T) {
	a, b := pair(t)
	da, db := a.digest(), b.digest()
	if da.Count != 3 || da.Count != db.Count || da.Sum != db.Sum {
		t.Fatalf("digests of equal tables differ: a %+v, b %+v", da, db)
	}
	if rd := feed(t, b, t0.Add(time.Second), "a:1", da); len(rd.Messages) != 0 {
		t.Errorf("equal digest answered with %d messages", len(rd.Messages))
	}
	meta, _ := wire.EncodeMeta(map[string]string{"k": "v"}, 0)
	for _, m := range []wire.Message{
		alive("d", 1),
		alive("c", 2),
		&wire.Alive{Incarnation: 1, ID: "c", Addr: "c:1", Meta: meta},
		&wire.Suspect{Incarnation: 1, ID: "c", From: "b"},
	} {
		_, b := pair(t)
		feed(t, b, t0, "x:1", m)
		if d := b.digest(); d.Count == da.Count && d.Sum == da.Sum {
			t.Errorf("after %#v the digest %+v is unchanged", m, d)
		}
	}
}

// TestDigestRepairs: a digest that differs from the receiver's table makes
// it start a full-state exchange with the sender, which brings both tables
// to the same records; an unknown sender is not answered, nor a second
// differing digest within a gossip interval.
func TestDigestRepairs(t *testing.T) {
	a, b := pair(t)
	now := t0.Add(time.Second)
	feed(t, a, now, "x:1", alive("d", 1)) // a learns d, b does not
	rd := feed(t, b, now, "a:1", a.digest())
	pps := fullStates(t, rd.Messages)
	if len(pps) != 1 || pps[0].Reply || rd.Messages[0].To != "a:1" || !rd.Messages[0].Reliable {
		t.Fatalf("differing digest answered with %+v, want one full-state exchange over a stream to a:1", rd.Messages)
	}
	rd = feed(t, a, now, "b:1", pps[0])
	pps = fullStates(t, rd.Messages)
	if len(pps) != 1 || !pps[0].Reply {
		t.Fatalf("a answered the exchange with %+v, want its table", rd.Messages)
	}
	feed(t, b, now, "a:1", pps[0])
	if da, db := a.digest(), b.digest(); da.Sum != db.Sum || b.lookup("d") == nil {
		t.Errorf("after the exchange: a %+v, b %+v (b knows d: %v)", da, db, b.lookup("d") != nil)
	}

	feed(t, a, now, "x:1", alive("e", 1))
	if rd := feed(t, b, now.Add(b.cfg.GossipInterval/2), "a:1", a.digest()); len(rd.Messages) != 0 {
		t.Errorf("second differing digest within a gossip interval answered: %+v", rd.Messages)
	}
	if rd := feed(t, b, now.Add(b.cfg.GossipInterval), "a:1", a.digest()); len(fullStates(t, rd.Messages)) != 1 {
		t.Errorf("differing digest a gossip interval later not answered: %+v", rd.Messages)
	}
	unknown := &wire.Digest{From: "z", Count: 9, Sum: 1}
	if rd := feed(t, b, now.Add(time.Minute), "z:1", unknown); len(rd.Messages) != 0 {
		t.Errorf("digest from an unknown member answered: %+v", rd.Messages)
	}
}

// TestPeriodicExchangeSendsDigest: the periodic anti-entropy between two
// members that agree sends a digest in a packet, never a table.
func TestPeriodicExchangeSendsDigest(t *testing.T) {
	a, b := newCore(t, "a"), newCore(t, "b")
	feed(t, a, t0, "b:1", alive("b", b.LocalNode().Incarnation))
	feed(t, b, t0, "a:1", alive("a", a.LocalNode().Incarnation))
	cores := map[string]*Core{"a:1": a, "b:1": b}
	now := t0
	digests := 0
	for i := 0; i < 1000; i++ { // 100 s: past the first periodic exchanges
		now = now.Add(100 * time.Millisecond)
		for _, c := range []*Core{a, b} {
			c.Tick(now)
			for _, o := range c.Ready().Messages {
				ms, err := wire.DecodePacket(o.Data)
				if err != nil {
					t.Fatal(err)
				}
				switch ms[0].(type) {
				case *wire.Digest:
					digests++
					if o.Reliable {
						t.Error("digest sent over a stream")
					}
				case *wire.PushPull:
					t.Errorf("%s sent a full table at %v", c.ID(), now.Sub(t0))
				}
				from := c.ID() + ":1"
				if o.Reliable {
					err = cores[o.To].HandleStreamMessage(now, from, o.Data)
				} else {
					err = cores[o.To].HandleMessage(now, from, o.Data)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	st := a.Stats().Digests + b.Stats().Digests
	if digests == 0 || st != uint64(digests) || a.Stats().PushPulls+b.Stats().PushPulls != 0 {
		t.Errorf("%d digests sent, stats %d; want some, and no full-state exchange", digests, st)
	}
}
