package net_test

import (
	"context"
	"fmt"
	stdnet "net"

	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
	"github.com/libgossip/libgossip/net/stats"
)

// inbox is a gossip.Handler that queues packets and refuses streams.
type inbox chan gossip.Packet

func (in inbox) HandlePacket(p gossip.Packet) {
	select {
	case in <- p:
	default: // full: drop, never block the transport
	}
}

func (inbox) HandleStream(stdnet.Conn) {}

// Two encrypted, labelled transports exchange a packet on loopback.
func ExampleNew() {
	key, _ := security.GenerateKey(32)
	keys, _ := security.NewKeyring(key)
	ctx := context.Background()
	var ts []*lgnet.Transport
	in := make(inbox, 16)
	for range 2 {
		t, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithKeyring(keys), lgnet.WithLabel("example"))
		if err != nil {
			panic(err)
		}
		if err := t.Start(ctx, in); err != nil {
			panic(err)
		}
		defer t.Close()
		ts = append(ts, t)
	}
	if err := ts[0].WritePacket(ctx, ts[1].Addr(), []byte("hello")); err != nil {
		panic(err)
	}
	p := <-in
	fmt.Println(string(p.Data), p.From == ts[0].Addr())
	fmt.Println("auth drops:", ts[1].Stats().Dropped(stats.Auth))
	// Output:
	// hello true
	// auth drops: 0
}

// An unknown scheme is a clear error.
func ExampleNew_badScheme() {
	_, err := lgnet.New("quic://127.0.0.1:7946")
	fmt.Println(err)
	// Output:
	// net: unknown transport scheme: "quic" in "quic://127.0.0.1:7946" (known: [hybrid udp tcp])
}
