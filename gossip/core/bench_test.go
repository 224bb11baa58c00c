package core

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

var filepathGlob = filepath.Glob

// BenchmarkTick measures one probe tick of a core that knows 1,000 members,
// answering nothing: the ping, its piggyback, and the timers.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			cfg := LANConfig()
			cfg.ID, cfg.Addr = "a", "a:1"
			c, _ := New(cfg)
			c.Tick(t0)
			var msgs []wire.Message
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("m%05d", i)
				msgs = append(msgs, &wire.Alive{Incarnation: 1, ID: id, Addr: id + ":1"})
			}
			_ = c.HandleMessage(t0, "m:1", wire.Encode(&wire.PushPull{From: "m00000", Members: states(msgs)}))
			c.Ready()
			now := t0
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(time.Second)
				// Keep members alive: acknowledge whatever was probed.
				c.Tick(now)
				for _, o := range c.Ready().Messages {
					ms, _ := wire.DecodePacket(o.Data)
					if p, ok := ms[0].(*wire.Ping); ok {
						_ = c.HandleMessage(now, o.To, wire.Encode(&wire.Ack{Seq: p.Seq}))
					}
				}
			}
		})
	}
}

func states(ms []wire.Message) []wire.MemberState {
	out := make([]wire.MemberState, len(ms))
	for i, m := range ms {
		a := m.(*wire.Alive)
		out[i] = wire.MemberState{ID: a.ID, Addr: a.Addr, Incarnation: a.Incarnation}
	}
	return out
}

// BenchmarkHandleAlive measures merging one membership update.
func BenchmarkHandleAlive(b *testing.B) {
	cfg := LANConfig()
	cfg.ID, cfg.Addr = "a", "a:1"
	c, _ := New(cfg)
	c.Tick(t0)
	_ = c.HandleMessage(t0, "b:1", wire.Encode(&wire.Alive{Incarnation: 1, ID: "b", Addr: "b:1"}))
	inc := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		inc++
		_ = c.HandleMessage(t0, "b:1", wire.Encode(&wire.Alive{Incarnation: inc, ID: "b", Addr: "b:1"}))
		c.Ready()
	}
}
