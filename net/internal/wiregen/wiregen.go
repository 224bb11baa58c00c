package wiregen

import (
	"fmt"
	"math/rand/v2"

	"github.com/libgossip/libgossip/gossip/wire"
)

func mustMeta(m map[string]string) string {
	s, err := wire.EncodeMeta(m, 0)
	if err != nil {
		panic(err)
	}
	return s
}

// Sample is one named fixed message.
type Sample struct {
	Name string
	Msg  wire.Message
}

// Samples returns one fixed, typical message per type, in type order.
func Samples() []Sample {
	meta := mustMeta(map[string]string{"dc": "eu-west-1", "role": "cache", "version": "1.4.2"})
	return []Sample{
		{"ping", &wire.Ping{Seq: 4242, Source: "node-01", Target: "node-17", Reliable: false}},
		{"ack", &wire.Ack{Seq: 4242, Reliable: true}},
		{"nack", &wire.Nack{Seq: 4242}},
		{"ping-req", &wire.PingReq{Seq: 99, Target: "node-17", TargetAddr: "10.0.0.17:7946"}},
		{"alive", &wire.Alive{Incarnation: 3, ID: "node-01", Addr: "10.0.0.1:7946", Meta: meta}},
		{"suspect", &wire.Suspect{Incarnation: 3, ID: "node-17", From: "node-01"}},
		{"dead", &wire.Dead{Incarnation: 3, ID: "node-17", From: "node-01"}},
		{"push-pull", &wire.PushPull{Join: true, From: "node-01", Members: []wire.MemberState{
			{ID: "node-01", Addr: "10.0.0.1:7946", State: wire.StateAlive, Incarnation: 3, Meta: meta},
			{ID: "node-02", Addr: "10.0.0.2:7946", State: wire.StateSuspect, Incarnation: 1},
			{ID: "node-03", Addr: "10.0.0.3:7946", State: wire.StateDead, Incarnation: 7},
			{ID: "node-04", Addr: "10.0.0.4:7946", State: wire.StateLeft, Incarnation: 2},
		}}},
		{"user", &wire.User{Origin: "node-01", Seq: 12, Payload: []byte("deploy v1.4.2 finished")}},
		{"digest", &wire.Digest{From: "node-01", Count: 1000, Sum: 0x9e3779b97f4a7c15}},
	}
}

// Gen generates random valid messages. It is not safe for concurrent use.
type Gen struct{ r *rand.Rand }

// New returns a generator seeded with seed.
func New(seed uint64) *Gen { return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *Gen) str(max int) string {
	n := g.r.IntN(max + 1)
	if g.r.IntN(4) == 0 {
		n = g.r.IntN(4)
	}
	b := make([]rune, n)
	for i := range b {
		if g.r.IntN(8) == 0 {
			b[i] = rune(g.r.IntN(0xD7FF)) // any text, not only ASCII
		} else {
			b[i] = rune('a' + g.r.IntN(26))
		}
	}
	return string(b)
}

func (g *Gen) u64() uint64 {
	switch g.r.IntN(3) {
	case 0:
		return uint64(g.r.IntN(200))
	case 1:
		return g.r.Uint64()
	}
	return uint64(g.r.Uint32())
}

func (g *Gen) meta() string {
	n := g.r.IntN(4)
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("k%d%s", i, g.str(8))] = g.str(40)
	}
	return mustMeta(m)
}

// Message returns a random valid message of a random type.
func (g *Gen) Message() wire.Message {
	switch g.r.IntN(10) {
	case 0:
		return &wire.Ping{Seq: g.r.Uint32(), Source: g.str(40), Target: g.str(40), Reliable: g.r.IntN(2) == 0}
	case 1:
		return &wire.Ack{Seq: g.r.Uint32(), Reliable: g.r.IntN(2) == 0}
	case 2:
		return &wire.Nack{Seq: g.r.Uint32()}
	case 3:
		return &wire.PingReq{Seq: g.r.Uint32(), Target: g.str(40), TargetAddr: g.str(60)}
	case 4:
		return &wire.Alive{Incarnation: g.u64(), ID: g.str(40), Addr: g.str(60), Meta: g.meta()}
	case 5:
		return &wire.Suspect{Incarnation: g.u64(), ID: g.str(40), From: g.str(40)}
	case 6:
		return &wire.Dead{Incarnation: g.u64(), ID: g.str(40), From: g.str(40)}
	case 7:
		p := &wire.PushPull{Join: g.r.IntN(2) == 0, Reply: g.r.IntN(2) == 0, From: g.str(40)}
		p.Members = make([]wire.MemberState, g.r.IntN(6))
		for i := range p.Members {
			p.Members[i] = wire.MemberState{ID: g.str(40), Addr: g.str(60), State: wire.State(g.r.IntN(4)), Incarnation: g.u64(), Meta: g.meta()}
		}
		return p
	case 8:
		return &wire.Digest{From: g.str(40), Count: g.u64(), Sum: g.u64()}
	default:
		u := &wire.User{Origin: g.str(40), Seq: g.u64()}
		if n := g.r.IntN(300); n > 0 {
			u.Payload = []byte(g.str(n))
		}
		return u
	}
}

// Packet returns 1 to 4 random messages.
func (g *Gen) Packet() []wire.Message {
	msgs := make([]wire.Message, 1+g.r.IntN(4))
	for i := range msgs {
		msgs[i] = g.Message()
	}
	return msgs
}
