package core

import (
	"testing"
	"time"
)

// TestDialBackoff: after an unanswered stream ping the next one to that
// member waits one probe interval, doubling per miss up to maxDialBackoff
// intervals; a stream ack clears it; other members are not affected; with
// the fallback disabled no stream ping is ever sent.
func TestDialBackoff(t *testing.T) {
	c := newCore(t, "a")
	iv := c.cfg.ProbeInterval
	now := t0
	if !c.mayDial(now, "b") {
		t.Fatal("first dial refused")
	}
	c.dialMissed(now, "b")
	if c.mayDial(now.Add(iv-time.Millisecond), "b") {
		t.Fatal("dial allowed during the back-off")
	}
	if !c.mayDial(now, "c") {
		t.Fatal("another member's dial refused")
	}
	for want := 2 * iv; want <= maxDialBackoff*iv; want *= 2 {
		now = now.Add(c.dials["b"].backoff)
		if !c.mayDial(now, "b") {
			t.Fatalf("dial refused after the back-off")
		}
		c.dialMissed(now, "b")
		if got := c.dials["b"].backoff; got != want {
			t.Fatalf("back-off %v, want %v", got, want)
		}
	}
	now = now.Add(c.dials["b"].backoff)
	c.mayDial(now, "b")
	c.dialMissed(now, "b")
	if got := c.dials["b"].backoff; got != maxDialBackoff*iv {
		t.Fatalf("back-off %v, want the cap %v", got, maxDialBackoff*iv)
	}
	c.dialMissed(now, "b") // nothing pending: no change
	if c.Stats().DialsSkipped != 1 {
		t.Errorf("DialsSkipped = %d, want 1", c.Stats().DialsSkipped)
	}
	c.dialAnswered("b")
	if !c.mayDial(now, "b") {
		t.Fatal("dial refused after a stream ack")
	}
	c.cfg.DisableFallbackProbe = true
	if c.mayDial(now.Add(time.Hour), "d") {
		t.Fatal("dial allowed with the fallback disabled")
	}
}
