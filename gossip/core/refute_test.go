package core

import (
	"testing"

	"github.com/libgossip/libgossip/gossip/wire"
)

// toldPackets counts the packets to addr that carry a's announcement at
// incarnation inc.
func toldPackets(t *testing.T, rd Ready, addr, id string, inc uint64) int {
	t.Helper()
	n := 0
	for _, o := range rd.Messages {
		if o.To != addr || o.Reliable {
			continue
		}
		msgs, err := wire.DecodePacket(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if a, ok := m.(*wire.Alive); ok && a.ID == id && a.Incarnation == inc {
				n++
				break
			}
		}
	}
	return n
}

// TestRefutationToldToAccuser: a member that refutes sends its
// announcement straight to the accuser, and again when a suspicion it has
// already refuted reaches it, at most maxTold times per accuser and
// incarnation; an unknown accuser gets nothing.
func TestRefutationToldToAccuser(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1))
	rd := feed(t, c, t0, "b:1", &wire.Suspect{Incarnation: 1, ID: "a", From: "b"})
	inc := c.LocalNode().Incarnation
	if inc != 2 || toldPackets(t, rd, "b:1", "a", 2) != 1 {
		t.Fatalf("refutation at %d not told to the accuser: %+v", inc, rd.Messages)
	}
	rd = feed(t, c, t0, "x:1", &wire.Suspect{Incarnation: 1, ID: "a", From: "b"})
	if toldPackets(t, rd, "b:1", "a", 2) != 1 {
		t.Fatal("stale suspicion: accuser not told again")
	}
	rd = feed(t, c, t0, "x:1", &wire.Suspect{Incarnation: 1, ID: "a", From: "b"})
	if toldPackets(t, rd, "b:1", "a", 2) != 0 {
		t.Fatal("accuser told more than maxTold times")
	}
	rd = feed(t, c, t0, "x:1", &wire.Suspect{Incarnation: 1, ID: "a", From: "stranger"})
	for _, o := range rd.Messages {
		if o.To == "stranger:1" {
			t.Fatal("unknown accuser told")
		}
	}
	// A member whose own pings go unanswered does not push refutations.
	c.directAcks = 0
	rd = feed(t, c, t0, "b:1", &wire.Suspect{Incarnation: 2, ID: "a", From: "b"})
	if c.LocalNode().Incarnation != 3 || toldPackets(t, rd, "b:1", "a", 3) != 0 {
		t.Fatal("a member that hardly receives told its accuser")
	}
}
