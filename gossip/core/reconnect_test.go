package core

import (
	"testing"

	"github.com/libgossip/libgossip/gossip/wire"
)

// failedPeer builds member a that holds b and y alive and z failed, at a time
// when z may be tried again.
func failedPeer(t *testing.T) *Core {
	t.Helper()
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1))
	feed(t, c, t0, "b:1", alive("y", 1))
	feed(t, c, t0, "b:1", alive("z", 1), &wire.Suspect{Incarnation: 1, ID: "z", From: "b"},
		&wire.Dead{Incarnation: 1, ID: "z", From: "y"})
	if len(c.failedMembers) != 1 {
		t.Fatalf("%d failed members, want 1", len(c.failedMembers))
	}
	return c
}

// reconnectOut is what one reconnect try sent to z: pings (their
// sequence numbers) and full-state exchanges.
func reconnectOut(t *testing.T, rd Ready) (pings []uint32, pushPulls int) {
	t.Helper()
	for _, o := range rd.Messages {
		if o.To != "z:1" {
			continue
		}
		msgs, err := wire.DecodePacket(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			switch m := m.(type) {
			case *wire.Ping:
				if o.Reliable || m.Target != "z" {
					t.Fatalf("reconnect ping %+v (reliable %v)", m, o.Reliable)
				}
				pings = append(pings, m.Seq)
			case *wire.PushPull:
				if !o.Reliable {
					t.Fatal("full state in a packet")
				}
				pushPulls++
			}
		}
	}
	return pings, pushPulls
}

// TestReconnectPingFirst: a reconnect try pings the failed member (a
// packet, not a dial) and exchanges full state only once it answers;
// every reconnectDirect-th try exchanges full state at once. An ack that
// answers nothing of it starts nothing.
func TestReconnectPingFirst(t *testing.T) {
	c := failedPeer(t)
	now := t0.Add(2 * c.cfg.ReconnectInterval)
	direct := 0
	for try := 1; try <= 2*reconnectDirect; try++ {
		c.reconnect(now)
		pings, pps := reconnectOut(t, c.Ready())
		if try%reconnectDirect == 0 {
			if len(pings) != 0 || pps != 1 {
				t.Fatalf("try %d: %d pings, %d exchanges; want the exchange at once", try, len(pings), pps)
			}
			direct++
			continue
		}
		if len(pings) != 1 || pps != 0 {
			t.Fatalf("try %d: %d pings, %d exchanges; want one ping", try, len(pings), pps)
		}
		if try == 1 {
			// Unanswered, or answered with another sequence number:
			// nothing follows.
			if _, pps := reconnectOut(t, feed(t, c, now, "z:1", &wire.Ack{Seq: pings[0] + 1000})); pps != 0 {
				t.Fatal("an ack of another ping started an exchange")
			}
			continue
		}
		if _, pps := reconnectOut(t, feed(t, c, now, "z:1", &wire.Ack{Seq: pings[0]})); pps != 1 {
			t.Fatalf("try %d: the answered ping started %d exchanges, want 1", try, pps)
		}
		// The same ack again (a duplicate) starts nothing more.
		if _, pps := reconnectOut(t, feed(t, c, now, "z:1", &wire.Ack{Seq: pings[0]})); pps != 0 {
			t.Fatal("a duplicate ack started another exchange")
		}
	}
	if direct != 2 || c.Stats().ReconnectAcks != 2*reconnectDirect-2-1 {
		t.Errorf("direct %d, ReconnectAcks %d", direct, c.Stats().ReconnectAcks)
	}
}

// TestReconnectAnsweredAfterReadmission: a reconnect ping answered after
// the member was taken back (alive again) starts no exchange.
func TestReconnectAnsweredAfterReadmission(t *testing.T) {
	c := failedPeer(t)
	now := t0.Add(2 * c.cfg.ReconnectInterval)
	c.reconnect(now)
	pings, _ := reconnectOut(t, c.Ready())
	if len(pings) != 1 {
		t.Fatalf("%d pings", len(pings))
	}
	feed(t, c, now, "b:1", alive("z", 2))
	if st, _ := c.StateOf("z"); st != StateAlive {
		t.Fatalf("z is %v", st)
	}
	if _, pps := reconnectOut(t, feed(t, c, now, "z:1", &wire.Ack{Seq: pings[0]})); pps != 0 {
		t.Error("an exchange with a member already taken back")
	}
}
