package gossip_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// TestSubscriptionBufferBeyondChannel: a default-mode subscription holds
// its whole buffer for a reader that lags, though its channel buffers
// fewer events: the reader gets the first buffer events in order, every
// later one is counted as dropped, and Close or Shutdown count what they
// discard from the queue.
func TestSubscriptionBufferBeyondChannel(t *testing.T) {
	synctest.Test(t, testSubscriptionBufferBeyondChannel)
}

func testSubscriptionBufferBeyondChannel(t *testing.T) {
	const buffer = 3 * gossip.SubscribeChannelBuffer
	network := memnet.New(4)
	a := startNode(t, network, "a")
	b := startNode(t, network, "b")
	probe := a.Subscribe(4096) // read below; never full
	slow := a.Subscribe(buffer)
	closing := a.Subscribe(buffer)
	atShutdown := a.Subscribe(buffer)
	if err := b.Join(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	// One broadcast at a time, each awaited: the sender's queue keeps
	// only so many.
	const broadcasts = 2 * buffer
	var seen []gossip.Event
	for i := range broadcasts {
		if err := b.Broadcast(fmt.Append(nil, i)); err != nil {
			t.Fatal(err)
		}
		for e := (gossip.Event{}); e.Type != gossip.EventUser; {
			e = <-probe.C
			seen = append(seen, e)
		}
	}
	synctest.Wait() // every goroutine of the bubble idle: no event in flight
	for len(probe.C) > 0 {
		seen = append(seen, <-probe.C)
	}
	total := uint64(len(seen))
	if probe.Dropped() != 0 {
		t.Fatalf("the probe dropped %d events", probe.Dropped())
	}

	if got, want := slow.Dropped(), total-buffer; got != want {
		t.Errorf("slow subscriber dropped %d of %d events, want %d", got, total, want)
	}
	for i := range buffer {
		e := <-slow.C
		if w := seen[i]; e.Type != w.Type || e.Member.ID != w.Member.ID || string(e.Payload) != string(w.Payload) {
			t.Fatalf("slow subscriber's event %d is %v, want %v", i, e, w)
		}
	}
	synctest.Wait()
	if len(slow.C) != 0 {
		t.Errorf("slow subscriber has %d events beyond its buffer", len(slow.C))
	}
	// Caught up, it loses nothing more.
	if err := b.Broadcast([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if e := <-slow.C; e.Type != gossip.EventUser || string(e.Payload) != "after" {
		t.Errorf("after catching up the slow subscriber got %v, want the broadcast", e)
	}
	if got, want := slow.Dropped(), total-buffer; got != want {
		t.Errorf("slow subscriber dropped %d after catching up, want still %d", got, want)
	}

	closing.Close()
	if n := drain(closing); n != gossip.SubscribeChannelBuffer {
		t.Errorf("after Close, C held %d events, want the channel's %d", n, gossip.SubscribeChannelBuffer)
	}
	if got, want := closing.Dropped(), total+1-gossip.SubscribeChannelBuffer; got != want {
		t.Errorf("closed subscriber counts %d dropped, want %d (full buffer, then the queue Close discarded)", got, want)
	}

	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := drain(atShutdown); n != gossip.SubscribeChannelBuffer {
		t.Errorf("after Shutdown, C held %d events, want the channel's %d", n, gossip.SubscribeChannelBuffer)
	}
	if got, want := atShutdown.Dropped(), total+1-gossip.SubscribeChannelBuffer; got != want {
		t.Errorf("subscriber at Shutdown counts %d dropped, want %d", got, want)
	}
}

// drain reads s.C until it is closed and returns how many events it held.
func drain(s *gossip.Subscription) int {
	n := 0
	for range s.C {
		n++
	}
	return n
}

// TestSubscribeTakesMemoryOnDemand: Subscribe does not allocate its
// buffer up front; a large buffer costs only the channel's.
func TestSubscribeTakesMemoryOnDemand(t *testing.T) {
	cfg := gossip.LocalConfig()
	cfg.ID = "n"
	n, err := gossip.New(cfg, memnet.New(1).Transport("n"), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	const buffer = 1 << 16
	// Other goroutines may allocate between the two readings; the least
	// of a few tries is Subscribe's own.
	least := uint64(1 << 62)
	for range 5 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := n.Subscribe(buffer)
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
		s.Close()
	}
	// A buffer allocated at once would be buffer events of over 100 bytes.
	if least > buffer {
		t.Errorf("Subscribe(%d) allocated %d bytes", buffer, least)
	}
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
