package core

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// quietCore returns a core that knows members b, c, d and e, has gossiped
// them in a regular round, and probes too rarely to raise suspicions
// during a test; it returns the time of that round.
func quietCore(t *testing.T, disable bool) (*Core, time.Time) {
	t.Helper()
	cfg := LANConfig()
	cfg.ID, cfg.Addr = "a", "a:1"
	cfg.Rand = rand.NewPCG(1, 2)
	cfg.ProbeInterval = time.Hour
	cfg.ProbeTimeout = time.Minute
	cfg.PushPullInterval = -1
	cfg.DisableEarlyGossip = disable
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1), alive("e", 1))
	r := c.nextGossip // a regular round comes first, whatever the rule
	c.Tick(r)
	if n := gossipPackets(c.Ready()); n != cfg.GossipFanout {
		t.Fatalf("regular round at %v sent %d gossip packets, want %d", r.Sub(t0), n, cfg.GossipFanout)
	}
	return c, r
}

// gossipPackets counts the packets of rd that exist only to gossip (they
// start with a broadcast).
func gossipPackets(rd Ready) int {
	n := 0
	for _, m := range rd.Messages {
		if len(m.Data) > wire.HeaderSize {
			switch wire.Type(m.Data[wire.HeaderSize]) {
			case wire.TypeAlive, wire.TypeSuspect, wire.TypeDead, wire.TypeUser:
				n++
			}
		}
	}
	return n
}

// carrying counts the packets of rd whose bytes contain enc.
func carrying(rd Ready, enc []byte) int {
	n := 0
	for _, m := range rd.Messages {
		if bytes.Contains(m.Data, enc) {
			n++
		}
	}
	return n
}

// TestEarlyGossip: news (an update never sent) that arrives less than a
// gossip interval after a round is gossiped at once in an early round; a
// second piece of news within the same interval waits for the next
// regular round; and without news no round runs early. With
// DisableEarlyGossip all news waits for the regular round, the rule
// before early rounds.
func TestEarlyGossip(t *testing.T) {
	iv := LANConfig().GossipInterval
	for _, tc := range []struct {
		name    string
		disable bool
		// when the first news is gossiped, after the regular round
		want time.Duration
	}{
		{"early rounds", false, 20 * time.Millisecond},
		{"disabled", true, iv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, r := quietCore(t, tc.disable)
			f := alive("f", 1)
			feed(t, c, r.Add(20*time.Millisecond), "b:1", f)
			if d := c.NextDeadline(); !d.Equal(r.Add(tc.want)) {
				t.Errorf("news 20ms after a round: next deadline %v after it, want %v", d.Sub(r), tc.want)
			}
			encF := wire.AppendMessage(nil, f)
			c.Tick(r.Add(20 * time.Millisecond))
			rd := c.Ready()
			if got, want := carrying(rd, encF) > 0, !tc.disable; got != want {
				t.Errorf("news 20ms after a round: sent at once %v, want %v (%d gossip packets)", got, want, gossipPackets(rd))
			}
			if !tc.disable && gossipPackets(rd) != c.cfg.GossipFanout {
				t.Errorf("early round sent %d gossip packets, want %d", gossipPackets(rd), c.cfg.GossipFanout)
			}

			// Second news within the interval: waits for the regular round.
			g := alive("g", 1)
			encG := wire.AppendMessage(nil, g)
			feed(t, c, r.Add(40*time.Millisecond), "b:1", g)
			if d := c.NextDeadline(); !d.Equal(r.Add(iv)) {
				t.Errorf("second news: next deadline %v after the round, want %v", d.Sub(r), iv)
			}
			c.Tick(r.Add(40 * time.Millisecond))
			if rd := c.Ready(); carrying(rd, encG) != 0 {
				t.Errorf("second news within an interval was sent at once: %d packets", carrying(rd, encG))
			}
			c.Tick(r.Add(iv))
			if rd := c.Ready(); carrying(rd, encG) == 0 {
				t.Error("second news not sent by the next regular round")
			}

			// No news: rounds only every interval while updates remain,
			// however often the core is ticked.
			for now := r.Add(iv + 10*time.Millisecond); c.updates.len() > 0; now = now.Add(10 * time.Millisecond) {
				c.Tick(now)
				n := gossipPackets(c.Ready())
				regular := now.Sub(r)%iv == 0
				if n > 0 && !regular {
					t.Fatalf("gossip round %v after the first without news", now.Sub(r))
				}
				if now.Sub(r) > 10*iv {
					t.Fatalf("update queue not empty after 10 intervals: %d items", c.updates.len())
				}
			}
			wantEarly := uint64(1)
			if tc.disable {
				wantEarly = 0
			}
			if got := c.Stats().EarlyRounds; got != wantEarly {
				t.Errorf("Stats().EarlyRounds = %d, want %d", got, wantEarly)
			}
		})
	}
}

// TestEarlyGossipKinds: every kind of news qualifies for an early round
// (an update about another member, the member's own metadata, a user
// broadcast), and the bound is one early round per interval counted from
// the last early round, not from regular rounds.
func TestEarlyGossipKinds(t *testing.T) {
	iv := LANConfig().GossipInterval
	for _, tc := range []struct {
		name string
		news func(c *Core, now time.Time) []byte // queues news, returns its encoding
	}{
		{"update", func(c *Core, now time.Time) []byte {
			f := alive("f", 1)
			feed(t, c, now, "b:1", f)
			return wire.AppendMessage(nil, f)
		}},
		{"SetMeta", func(c *Core, now time.Time) []byte {
			if err := c.SetMeta(now, map[string]string{"role": "x"}); err != nil {
				t.Fatal(err)
			}
			return wire.AppendMessage(nil, c.selfAlive())
		}},
		{"broadcast", func(c *Core, now time.Time) []byte {
			if err := c.Broadcast(now, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			return []byte("hello")
		}},
		{"received broadcast", func(c *Core, now time.Time) []byte {
			feed(t, c, now, "b:1", &wire.User{Origin: "b", Seq: 1, Payload: []byte("hi there")})
			return []byte("hi there")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, r := quietCore(t, false)
			now := r.Add(150 * time.Millisecond)
			enc := tc.news(c, now)
			c.Tick(now)
			if n := carrying(c.Ready(), enc); n != c.cfg.GossipFanout {
				t.Errorf("news %v after a round went in %d packets at once, want %d", now.Sub(r), n, c.cfg.GossipFanout)
			}
			// The regular round at r+iv leaves the early bound alone: the
			// next early round may run at now+iv, not before.
			c.Tick(r.Add(iv))
			c.Ready()
			f2 := alive("h", 1)
			feed(t, c, r.Add(iv+10*time.Millisecond), "b:1", f2)
			if d := c.NextDeadline(); !d.Equal(now.Add(iv)) {
				t.Errorf("news after a regular round: next deadline %v after the early round, want %v", d.Sub(now), iv)
			}
		})
	}
}

// TestEarlyGossipOwnNews: the member's own announcement has an early
// round of its own when others' news spent the shared one, once per
// interval; a refutation counts as own news too.
func TestEarlyGossipOwnNews(t *testing.T) {
	iv := LANConfig().GossipInterval
	c, r := quietCore(t, false)
	feed(t, c, r.Add(10*time.Millisecond), "b:1", alive("f", 1))
	c.Tick(r.Add(10 * time.Millisecond))
	if n := gossipPackets(c.Ready()); n != c.cfg.GossipFanout {
		t.Fatalf("news: early round sent %d gossip packets, want %d", n, c.cfg.GossipFanout)
	}
	at := r.Add(30 * time.Millisecond)
	if err := c.SetMeta(at, map[string]string{"v": "1"}); err != nil {
		t.Fatal(err)
	}
	if d := c.NextDeadline(); !d.Equal(at) {
		t.Errorf("own news after an early round: next deadline %v after it, want now", d.Sub(at))
	}
	c.Tick(at)
	if n := carrying(c.Ready(), wire.AppendMessage(nil, c.selfAlive())); n != c.cfg.GossipFanout {
		t.Errorf("own news after an early round went in %d packets, want %d", n, c.cfg.GossipFanout)
	}
	// Both allowances spent: a refutation waits for the regular round.
	at = r.Add(50 * time.Millisecond)
	feed(t, c, at, "b:1", &wire.Suspect{Incarnation: c.self.inc, ID: "a", From: "b"})
	if c.Stats().Refutations != 1 {
		t.Fatalf("refutations %d, want 1", c.Stats().Refutations)
	}
	if d := c.NextDeadline(); !d.Equal(r.Add(iv)) {
		t.Errorf("second own news within an interval: next deadline %v after the round, want %v", d.Sub(r), iv)
	}
	c.Tick(at)
	if n := carrying(c.Ready(), wire.AppendMessage(nil, c.selfAlive())); n > 1 {
		// (the direct answer to the accuser carries it once)
		t.Errorf("second own news within an interval went in %d packets at once, want at most the accuser's", n)
	}
	if got := c.Stats().EarlyRounds; got != 2 {
		t.Errorf("Stats().EarlyRounds = %d, want 2", got)
	}
}

// TestSuspicionIsNotNews: a suspicion heard less than an interval after a
// round waits for the regular round (where a refutation that arrives
// meanwhile replaces it); a failure is news.
func TestSuspicionIsNotNews(t *testing.T) {
	iv := LANConfig().GossipInterval
	c, r := quietCore(t, false)
	at := r.Add(20 * time.Millisecond)
	c.cfg.DisableConfirmProbe = true // no confirmation ping in the way
	sus := &wire.Suspect{Incarnation: 1, ID: "c", From: "b"}
	feed(t, c, at, "b:1", sus)
	if d := c.NextDeadline(); !d.Equal(r.Add(iv)) {
		t.Errorf("suspicion: next deadline %v after the round, want %v", d.Sub(r), iv)
	}
	c.Tick(at)
	if n := gossipPackets(c.Ready()); n != 0 {
		t.Errorf("suspicion sent at once in %d gossip packets", n)
	}
	refute := alive("c", 2)
	feed(t, c, r.Add(40*time.Millisecond), "c:1", refute)
	c.Tick(r.Add(40 * time.Millisecond))
	rd := c.Ready()
	if n := carrying(rd, wire.AppendMessage(nil, refute)); n != c.cfg.GossipFanout {
		t.Errorf("refutation went in %d packets at once, want %d", n, c.cfg.GossipFanout)
	}
	if n := carrying(rd, wire.AppendMessage(nil, sus)); n != 0 {
		t.Errorf("the replaced suspicion still went out (%d packets)", n)
	}
	d := &wire.Dead{Incarnation: 1, ID: "d", From: "b"}
	feed(t, c, r.Add(60*time.Millisecond), "b:1", &wire.Suspect{Incarnation: 1, ID: "d", From: "e"})
	feed(t, c, r.Add(60*time.Millisecond), "b:1", d)
	if st, _ := c.StateOf("d"); st != StateDead || !c.news() {
		t.Errorf("a failure (state %v) is not news", st)
	}
}

// TestEarlyGossipAfterPiggyback: news that first leaves riding on an ack
// (to the one member that pinged) still has its early round: an ack
// reaches one member, a round GossipFanout. Before, the ack counted as
// the news's first send and the news waited for the next regular round
// (at the LAN settings a leave reached the last of 16 members in 200 ms
// instead of 1 ms).
func TestEarlyGossipAfterPiggyback(t *testing.T) {
	c, r := quietCore(t, false)
	now := r.Add(20 * time.Millisecond)
	f := alive("f", 1)
	enc := wire.AppendMessage(nil, f)
	rd := feed(t, c, now, "b:1", f, &wire.Ping{Seq: 7, Source: "b", Target: "a"})
	if n := carrying(rd, enc); n != 1 {
		t.Fatalf("the ack to b carried the news in %d packets, want 1", n)
	}
	if d := c.NextDeadline(); !d.Equal(now) {
		t.Errorf("news sent on an ack: next deadline %v after it, want now", d.Sub(now))
	}
	c.Tick(now)
	if n := carrying(c.Ready(), enc); n != c.cfg.GossipFanout {
		t.Errorf("news sent on an ack went in %d packets of an early round, want %d", n, c.cfg.GossipFanout)
	}
	if c.news() {
		t.Error("news still pending after its early round")
	}
}
