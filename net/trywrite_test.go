package net_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
)

// TestTryWriteThroughStack: a transport built by New sends packets
// without waiting through its whole stack (encryption, label, outbound
// limit) on the udp and hybrid schemes, where the platform has
// non-blocking sends; on tcp:// it refuses with ErrWouldBlock, so that a
// Node's senders carry its packets.
func TestTryWriteThroughStack(t *testing.T) {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
	default:
		t.Skipf("no non-blocking sends on %s", runtime.GOOS)
	}
	key, err := security.GenerateKey(32)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := security.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scheme string
		inline bool
	}{{"udp", true}, {"hybrid", true}, {"tcp", false}} {
		t.Run(tc.scheme, func(t *testing.T) {
			gossiptest.Check(t)
			opts := []lgnet.Option{lgnet.WithKeyring(keys), lgnet.WithLabel("t"), lgnet.WithOutboundLimit(1000, 100)}
			a, err := lgnet.New(tc.scheme+"://127.0.0.1:0", opts...)
			if err != nil {
				t.Fatal(err)
			}
			b, err := lgnet.New(tc.scheme+"://127.0.0.1:0", opts...)
			if err != nil {
				t.Fatal(err)
			}
			gossiptest.StartTransport(t, a)
			sb := gossiptest.StartTransport(t, b)
			err = a.TryWritePacket(b.Addr(), []byte("hi"))
			if !tc.inline {
				if !errors.Is(err, gossip.ErrWouldBlock) {
					t.Fatalf("TryWritePacket on %s: %v, want ErrWouldBlock", tc.scheme, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("TryWritePacket on %s: %v", tc.scheme, err)
			}
			if p := gossiptest.Recv(t, sb); string(p.Data) != "hi" {
				t.Fatalf("got %q, want \"hi\"", p.Data)
			}
		})
	}
}
