package net_test

import (
	"context"
	"encoding/binary"
	"errors"
	stdnet "net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
)

// TestStreamHeaderClaimsCostNothing (defect 2): 20 streams whose frame
// headers claim 32 MiB and send nothing more must not make the member
// allocate those 32 MiB. Every allocation of the process while the member
// reads them is counted (TotalAlloc), so nothing is missed by timing; the
// claims used to cost 640 MiB.
func TestStreamHeaderClaimsCostNothing(t *testing.T) {
	gossiptest.Check(t)
	for _, uri := range []string{"hybrid://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		t.Run(uri, func(t *testing.T) {
			// Above 20, so that the per-source cap (defect 10) is not what
			// protects the member here.
			m := newMember(t, "target", uri, lgnet.WithMaxConnsPerSource(32))
			claim := binary.BigEndian.AppendUint32([]byte{'S'}, gossip.MaxStreamFrame) // within the limit
			errsBefore := m.node.Stats().StreamErrors
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var conns []stdnet.Conn
			for range 20 {
				c, err := stdnet.Dial("tcp", m.tr.Addr())
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
				if _, err := c.Write(claim); err != nil {
					t.Fatal(err)
				}
			}
			// Every header is read before the end of its stream: once all
			// 20 reads have failed, every allocation they made is counted.
			gossiptest.Eventually(t, "20 streams in", func() bool { return m.tr.Stats().StreamsIn >= 20 })
			for _, c := range conns {
				c.Close()
			}
			gossiptest.Eventually(t, "20 truncated streams counted", func() bool {
				return m.node.Stats().StreamErrors-errsBefore >= 20
			})
			runtime.ReadMemStats(&after)
			grew := after.TotalAlloc - before.TotalAlloc
			t.Logf("20 streams claiming 32 MiB each: %d KiB allocated in the process meanwhile", grew>>10)
			if grew > 16<<20 {
				t.Fatalf("20 stream headers claiming 32 MiB allocated %d MiB", grew>>20)
			}
		})
	}
}

// TestIdleConnectionsDoNotBlockJoins (defect 10): 300 idle TCP connections
// from one source address (more than the global cap of 256) neither block
// nor delay a join from another address.
func TestIdleConnectionsDoNotBlockJoins(t *testing.T) {
	gossiptest.Check(t)
	// The attacker dials from 127.0.0.2, a second loopback address, so
	// that the real members (127.0.0.1) are another source.
	attacker := &stdnet.Dialer{LocalAddr: &stdnet.TCPAddr{IP: stdnet.IPv4(127, 0, 0, 2)}}
	k, _ := security.GenerateKey(32)
	keys, _ := security.NewKeyring(k)
	for _, tc := range []struct {
		name, uri string
		opts      []lgnet.Option
	}{
		{"hybrid", "hybrid://127.0.0.1:0", nil},
		{"tcp", "tcp://127.0.0.1:0", nil},
		{"hybrid encrypted", "hybrid://127.0.0.1:0", []lgnet.Option{lgnet.WithKeyring(keys), lgnet.WithLabel("idle")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uri := tc.uri
			target := newMember(t, "target", uri, tc.opts...)
			var conns []stdnet.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for range 300 {
				c, err := attacker.Dial("tcp", target.tr.Addr())
				if errors.Is(err, syscall.EADDRNOTAVAIL) {
					t.Skipf("cannot dial from 127.0.0.2: %v", err)
				}
				if err != nil {
					t.Fatalf("idle connection %d: %v", len(conns), err)
				}
				conns = append(conns, c)
			}
			refused := uint64(300 - transport.DefaultMaxConnsPerSource)
			gossiptest.Eventually(t, "the idle connections over the per-source cap refused", func() bool {
				return target.tr.Stats().Dropped(stats.Overflow) >= refused
			})
			joiner := newMember(t, "joiner", uri, tc.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := joiner.node.Join(ctx, target.tr.Addr()); err != nil {
				t.Fatalf("join while 300 idle connections are open: %v", err)
			}
			gossiptest.Eventually(t, "both members alive at the target", func() bool {
				return countState(target.node, gossip.StateAlive) == 2
			})
		})
	}
}
