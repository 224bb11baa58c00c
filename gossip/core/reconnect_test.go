package core

import (
	"fmt"
	"testing"

	"github.com/libgossip/libgossip/gossip/wire"
)

// reconnectTries builds a member that holds live others alive and failed
// others failed, gives it tries chances to reconnect, and counts the
// full-state exchanges it sent to failed members.
func reconnectTries(t *testing.T, live, failed, tries int) int {
	t.Helper()
	c := newCore(t, "a")
	for i := range live {
		feed(t, c, t0, "b0:1", alive(fmt.Sprintf("b%d", i), 1))
	}
	dead := map[string]bool{}
	for i := range failed {
		id := fmt.Sprintf("z%d", i)
		dead[id+":1"] = true
		feed(t, c, t0, "b0:1", alive(id, 1), &wire.Suspect{Incarnation: 1, ID: id, From: "b0"},
			&wire.Dead{Incarnation: 1, ID: id, From: "b1"})
	}
	if got := len(c.failedMembers); got != failed {
		t.Fatalf("%d failed members, want %d", got, failed)
	}
	now := t0.Add(2 * c.cfg.ReconnectInterval)
	sent := 0
	for range tries {
		c.reconnect(now)
		for _, m := range c.Ready().Messages {
			if dead[m.To] {
				sent++
			}
		}
	}
	return sent
}

// TestReconnectShared: the cluster tries a failed member about once per
// ReconnectInterval, not once per member: with 1 failed of 64, a member
// takes 1 chance in 64 (it took every one, and 63 members dialled a
// crashed address every interval for ReconnectTimeout).
func TestReconnectShared(t *testing.T) {
	if got := reconnectTries(t, 62, 1, 1000); got < 5 || got > 40 {
		t.Errorf("1 failed of 64: %d exchanges in 1000 chances, want about 1000/63", got)
	}
}

// TestReconnectPartition: a member that counts as many failed members as
// live ones (one side of a partition) or more (cut off alone) tries at
// every chance, so healed partitions merge as fast as before.
func TestReconnectPartition(t *testing.T) {
	for _, c := range []struct{ live, failed int }{{31, 32}, {0, 20}, {3, 40}} {
		if got := reconnectTries(t, c.live, c.failed, 200); got != 200 {
			t.Errorf("%d live, %d failed: %d exchanges in 200 chances, want 200", c.live+1, c.failed, got)
		}
	}
}
