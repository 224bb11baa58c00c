package core

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

func fuzzSeeds() [][]byte {
	return [][]byte{
		wire.Encode(alive("b", 1), &wire.Suspect{Incarnation: 1, ID: "b", From: "c"}),
		wire.Encode(&wire.Dead{Incarnation: 3, ID: "a", From: "b"}),
		wire.Encode(&wire.Ping{Seq: 1, Source: "b", Target: "a"}, &wire.PingReq{Seq: 2, Target: "c", TargetAddr: "c:1"}),
		wire.Encode(&wire.PushPull{From: "b", Members: []wire.MemberState{{ID: "b", Addr: "b:1", Incarnation: 2}, {ID: "a", Addr: "a:1", State: wire.StateDead, Incarnation: 9}}}),
		wire.Encode(&wire.User{Origin: "b", Seq: 1, Payload: []byte("x")}, &wire.Ack{Seq: 1}, &wire.Nack{Seq: 1}),
		{wire.Version, 0xff},
		wire.Encode(&wire.Ping{Seq: 3, Source: "b", Target: "a", Reliable: true}, &wire.Nack{Seq: 1}),
		wire.Encode(&wire.Suspect{Incarnation: 1<<64 - 1, ID: "a", From: "b"}, &wire.Alive{Incarnation: 1 << 62, ID: "z", Addr: "z:1"}),
	}
}

// FuzzHandleMessage feeds arbitrary bytes to a core with some members. It
// must never panic; input that fails to decode must change nothing; and
// the core's invariants must hold afterwards.
func FuzzHandleMessage(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := LANConfig()
		cfg.ID, cfg.Addr, cfg.Rand = "a", "a:1", rand.NewPCG(1, 1)
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.Tick(t0)
		_ = c.HandleMessage(t0, "b:1", wire.Encode(alive("b", 1), alive("c", 1)))
		c.Ready()
		before := c.Members()
		in := bytes.Clone(data)
		// The last byte picks the entry point: packet or stream input.
		handle := c.HandleMessage
		if len(data) > 0 && data[len(data)-1]&1 == 1 {
			handle = c.HandleStreamMessage
		}
		err = handle(t0.Add(time.Millisecond), "x:1", data)
		if !bytes.Equal(in, data) {
			t.Fatal("HandleMessage modified its input")
		}
		if err != nil {
			if !reflect.DeepEqual(before, c.Members()) || c.HasReady() {
				t.Fatal("rejected input changed state")
			}
			return
		}
		checkInvariants(t, c)
		c.Tick(t0.Add(time.Hour))
		checkInvariants(t, c)
	})
}

func checkInvariants(t *testing.T, c *Core) {
	t.Helper()
	live, sus := 0, 0
	for i := range c.members {
		m := &c.members[i]
		id := c.who(m).id
		if got, ok := c.pos(id); !ok || got != i {
			t.Fatalf("index of %s is %d (%v), want %d", id, got, ok, i)
		}
		if id == c.self.id {
			t.Fatal("self in member table")
		}
		if m.state <= StateSuspect {
			live++
		}
		if m.state == StateSuspect {
			sus++
		}
	}
	held := 0
	for _, p := range c.index {
		if p != 0 {
			held++
		}
	}
	if held != len(c.members) || (!c.names.shared && c.names.nums.len() != len(c.members)) || live != c.live || sus != c.suspects {
		t.Fatalf("counters: index %d names %d members %d live %d/%d suspects %d/%d", held, c.names.nums.len(), len(c.members), live, c.live, sus, c.suspects)
	}
	if c.self.state != StateAlive && !c.leaving {
		t.Fatalf("self is %v without leaving", c.self.state)
	}
}

func TestFuzzCorpusExists(t *testing.T) {
	// The committed corpus (testdata/fuzz/FuzzHandleMessage) is run by
	// go test as ordinary cases; make sure it is there.
	ents, err := filepathGlob("testdata/fuzz/FuzzHandleMessage/*")
	if err != nil || len(ents) < len(fuzzSeeds()) {
		t.Fatalf("fuzz corpus has %d files: %v", len(ents), err)
	}
}
