package fault

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestOutbound(t *testing.T) {
	for _, tc := range []struct {
		name        string
		loss        float64
		down        bool
		lo, hi      int // dropped of 1000
		delay, jitt time.Duration
	}{
		{"none", 0, false, 0, 0, 0, 0},
		{"all", 1, false, 1000, 1000, 0, 0},
		{"tenth", 0.1, false, 60, 140, 0, 0},
		{"down", 0, true, 1000, 1000, 0, 0},
		{"delay", 0, false, 0, 0, 10 * time.Millisecond, 5 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := New(7)
			in.SetLoss(tc.loss)
			in.SetDown(tc.down)
			in.SetDelay(tc.delay, tc.jitt)
			dropped := 0
			for range 1000 {
				drop, wait := in.Outbound(10)
				if drop {
					dropped++
				} else if wait < tc.delay || wait >= tc.delay+tc.jitt+1 {
					t.Fatalf("wait %v outside [%v, %v]", wait, tc.delay, tc.delay+tc.jitt)
				}
			}
			if dropped < tc.lo || dropped > tc.hi {
				t.Errorf("loss %v down %v: dropped %d of 1000, want in [%d, %d]", tc.loss, tc.down, dropped, tc.lo, tc.hi)
			}
			if c := in.Counters(); c.Packets != 1000 || c.Bytes != 10000 {
				t.Errorf("counters %+v, want 1000 packets, 10000 bytes", c)
			}
		})
	}
}

// Two memnet transports behind injectors: inbound loss 1 hears nothing,
// delay delivers late, counters count.
func TestGossipWrapper(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nw := memnet.New(1)
	ina, inb := New(1), New(2)
	a, b := WrapGossip(nw.Transport("a"), ina), WrapGossip(nw.Transport("b"), inb)
	gossiptest.StartTransport(t, a)
	sb := gossiptest.StartTransport(t, b)
	ina.SetDelay(20*time.Millisecond, 0)
	start := time.Now()
	if err := a.WritePacket(ctx, b.Addr(), []byte("hi")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-sb.Packets():
		if string(p.Data) != "hi" || time.Since(start) < 20*time.Millisecond {
			t.Errorf("got %q after %v, want \"hi\" after ≥20ms", p.Data, time.Since(start))
		}
	case <-ctx.Done():
		t.Fatal("delayed packet never arrived")
	}
	inb.SetRecvLoss(1)
	ina.SetDelay(0, 0)
	for range 10 {
		_ = a.WritePacket(ctx, b.Addr(), []byte("x"))
	}
	if c := inb.Counters(); c.Dropped != 10 || len(sb.Packets()) > 0 {
		t.Errorf("inbound loss 1 delivered packets: %+v", c)
	}
	if c := ina.Counters(); c.Packets != 11 || c.Bytes != 12 {
		t.Errorf("sender counters %+v, want 11 packets, 12 bytes", c)
	}
}

// TestContract holds the fault wrapper, with no faults set, to the
// transport contract over memnet.
func TestContract(t *testing.T) {
	nw := memnet.New(1)
	i := 0
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		i++
		a := gossip.Chain(nw.Transport(fmt.Sprintf("a%d", i)), Middleware(New(uint64(i))))
		return a, WrapGossip(nw.Transport(fmt.Sprintf("b%d", i)), New(uint64(i+100)))
	}, gossiptest.Features{Streams: true, ExactFrom: true})
}

func BenchmarkOutbound(b *testing.B) {
	in := New(1)
	in.SetLoss(0.1)
	b.ReportAllocs()
	for b.Loop() {
		in.Outbound(100)
	}
}
