package gossip

import (
	"fmt"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
)

// input is a packet or a stream frame on its way to the protocol goroutine.
type input struct {
	from   string
	data   []byte
	stream bool // arrived over a stream, not as a packet
}

// snapshotEvery is the shortest time between two snapshots of a changing
// membership.
const snapshotEvery = 5 * time.Millisecond

// loop is the protocol goroutine: the only one that touches the core. It
// selects over the timer (set to the core's NextDeadline), received input
// and API calls, and after each step hands the core's output to the
// senders and subscribers without waiting for either.
func (n *Node) loop(c *core.Core) {
	defer n.wg.Done()
	defer close(n.loopEnd)
	clk := n.opts.clock
	timer := clk.NewTimer(time.Hour)
	defer timer.Stop()
	c.Tick(clk.Now())
	lastSnap := clk.Now()
	var batch []input // packets taken from the inbox, reused
	for {
		n.drain(c)
		now := clk.Now()
		// Publish membership changes at once, but rebuild the snapshot
		// at most every snapshotEvery (a join burst changes it per
		// packet), and at least every gossip interval for the counters.
		since := now.Sub(lastSnap)
		if (n.changed && since >= snapshotEvery) || since >= n.cfg.GossipInterval {
			n.publishSnapshot(c)
			lastSnap, since = now, 0
		}
		wait := time.Hour
		if d := c.NextDeadline(); !d.IsZero() {
			wait = max(d.Sub(now), 0)
		}
		if n.changed {
			wait = min(wait, snapshotEvery-since)
		}
		timer.Reset(wait)
		select {
		case <-n.done:
			n.publishSnapshot(c)
			return
		case fn := <-n.reqs:
			fn(c) // drains and publishes before the caller returns
			lastSnap = clk.Now()
		case <-n.inbound.wake:
			batch = n.inbound.take(batch[:0])
			for i, in := range batch {
				n.handle(c, in)
				batch[i] = input{}
				n.drain(c)
			}
			if cap(batch) > inboxMin {
				batch = nil // a burst's worth: let it go, as the inbox does
			}
		case in := <-n.frames:
			n.handle(c, in)
		case <-timer.C():
			c.Tick(clk.Now())
		}
	}
}

// handle feeds one received packet or stream frame to the core, through
// the codec.
func (n *Node) handle(c *core.Core, in input) {
	data := in.data
	if _, bin := n.opts.codec.(BinaryCodec); !bin {
		msgs, err := n.opts.codec.Decode(data)
		if err != nil {
			n.report(&n.decodeErrors, fmt.Errorf("gossip: decode from %s: %w", in.from, err))
			return
		}
		data = wire.Encode(msgs...)
	}
	handle := c.HandleMessage
	if in.stream {
		n.noteSelfJoin(c, data)
		// Only input that came over a stream may ask for a stream answer:
		// a packet's source address is not proof of anything.
		handle = c.HandleStreamMessage
	}
	if err := handle(n.now(), in.from, data); err != nil {
		n.report(&n.decodeErrors, fmt.Errorf("gossip: packet from %s: %w", in.from, err))
	}
}

// drain hands the core's pending output to the transport (packets it can
// take without waiting, see PacketTryWriter) or the senders, and its
// events to subscribers.
func (n *Node) drain(c *core.Core) {
	if !c.HasReady() {
		n.checkJoined(c)
		return
	}
	rd := c.Ready()
	for _, o := range rd.Messages {
		if !o.Reliable && n.trySend(o.To, o.Data) {
			continue
		}
		n.out.enqueue(o.To, o.Data, o.Reliable)
	}
	n.emit(rd.Events)
	n.checkJoined(c)
}

// emit logs and publishes events. Any but a user broadcast marks the
// membership changed for the next snapshot.
func (n *Node) emit(events []Event) {
	for _, e := range events {
		if e.Type != EventUser {
			n.changed = true
		}
		n.logEvent(e)
		n.subs.publish(e)
	}
}

func (n *Node) checkJoined(c *core.Core) {
	select {
	case <-n.joined:
	default:
		if c.Joined() {
			close(n.joined)
		}
	}
}

func (n *Node) logEvent(e Event) {
	switch e.Type {
	case EventJoin, EventLeft, EventFailed, EventConflict, EventRefuted:
		n.log.Info("member "+e.Type.String(), "peer_id", e.Member.ID, "peer_addr", e.Member.Addr, "incarnation", e.Member.Incarnation, "origin", e.Origin.String())
	case EventUser:
	default:
		n.log.Debug("member "+e.Type.String(), "peer_id", e.Member.ID, "incarnation", e.Member.Incarnation)
	}
}

// noteSelfJoin signals a pending Join when a stream frame turns out to be a
// join request from this very node: one of its seeds is its own address,
// spelled in a way the core could not recognize.
func (n *Node) noteSelfJoin(c *core.Core, data []byte) {
	msgs, err := wire.DecodePacket(data)
	if err != nil {
		return
	}
	for _, m := range msgs {
		if pp, ok := m.(*wire.PushPull); ok && pp.Join && pp.From == c.ID() {
			select {
			case n.selfJoin <- struct{}{}:
			default:
			}
		}
	}
}
