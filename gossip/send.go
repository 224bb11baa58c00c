package gossip

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxQueued bounds the messages queued for all destinations together;
// beyond it new messages are dropped and counted.
const maxQueued = 8192

// lane is one destination's queue: packets and streams to one address
// travel separately, so a slow stream never holds up probes.
type lane struct {
	to       string
	reliable bool
}

type queued struct {
	data   []byte
	at     time.Time
	packet bool // data is already encoded and split for the transport
}

type destQueue struct {
	lane
	msgs    []queued
	busy    bool // a sender is serving it
	waiting bool // it is in sender.waiting
}

// keepSenders is how many sender goroutines stay parked, waiting for the
// next burst, when there is nothing to send: enough for one gossip round's
// destinations, so that a steady cluster starts no goroutine per packet.
const keepSenders = 4

// sender owns the outbound queues and the goroutines that write them. The
// protocol goroutine only enqueues (never blocks); up to opts.senders
// goroutines, each serving one destination at a time, are started on
// demand; when there is nothing to send, up to keepSenders of them park
// until the next message and the others exit.
type sender struct {
	n *Node

	mu      sync.Mutex
	queues  map[lane]*destQueue
	waiting []*destQueue // queues with messages and no sender, oldest first
	workers int          // sender goroutines, parked ones included
	parked  int          // senders waiting on handoff
	handoff chan *destQueue
	total   int
	closed  bool
	idle    chan struct{} // closed when nothing is queued or being written

	dropped atomic.Uint64 // queue full, or too much queued in all
	stale   atomic.Uint64 // older than opts.sendAge when their turn came
}

func newSender(n *Node) *sender {
	// Every queue in handoff was handed to a sender that parked and has
	// not taken it yet, so it never holds more than opts.senders: the
	// protocol goroutine's send never blocks.
	return &sender{n: n, queues: map[lane]*destQueue{}, handoff: make(chan *destQueue, n.opts.senders)}
}

// enqueue queues core output data for to. It never blocks.
func (s *sender) enqueue(to string, data []byte, reliable bool) {
	s.push(lane{to, reliable}, queued{data: data})
}

// pending reports whether messages for l are queued or being written.
func (s *sender) pending(l lane) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queues[l] != nil
}

// push queues m on lane k, stamped with the current time. It never blocks.
func (s *sender) push(k lane, m queued) {
	m.at = s.n.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	q := s.queues[k]
	if q == nil {
		if s.total >= maxQueued {
			s.dropped.Add(1)
			return
		}
		q = &destQueue{lane: k}
		s.queues[k] = q
	}
	if len(q.msgs) >= s.n.opts.sendQueue {
		q.msgs = q.msgs[1:] // the oldest is the least useful
		s.total--
		s.dropped.Add(1)
	} else if s.total >= maxQueued {
		s.dropped.Add(1)
		return
	}
	q.msgs = append(q.msgs, m)
	s.total++
	if q.busy || q.waiting {
		return
	}
	if s.parked > 0 {
		s.parked--
		q.busy = true
		s.handoff <- q
		return
	}
	if s.workers < s.n.opts.senders {
		q.busy = true
		s.workers++
		s.n.wg.Add(1)
		go s.work(q)
		return
	}
	q.waiting = true
	s.waiting = append(s.waiting, q)
}

// next gives up q (rotating it behind waiting queues if it still has
// messages) and returns the queue the calling sender serves next, or nil
// when the sender should park (park true) or exit. s.mu must be held.
func (s *sender) next(q *destQueue) (nq *destQueue, park bool) {
	q.busy = false
	if s.closed {
		s.workers--
		return nil, false
	}
	if len(q.msgs) == 0 {
		delete(s.queues, q.lane)
	} else if len(s.waiting) == 0 {
		q.busy = true
		return q, false
	} else {
		q.waiting = true
		s.waiting = append(s.waiting, q)
	}
	if len(s.waiting) == 0 {
		park = s.parked < keepSenders
		if park {
			s.parked++
		} else {
			s.workers--
		}
		if s.workers == s.parked && s.idle != nil {
			close(s.idle)
			s.idle = nil
		}
		return nil, park
	}
	nq = s.waiting[0]
	s.waiting[0] = nil
	s.waiting = s.waiting[1:]
	nq.waiting, nq.busy = false, true
	return nq, false
}

// work sends the messages of q, then of whichever queue waits longest,
// until nothing is left; then it parks until handed another queue, or
// exits.
func (s *sender) work(q *destQueue) {
	defer s.n.wg.Done()
	for q != nil {
		s.mu.Lock()
		var m queued
		ok := len(q.msgs) > 0 && !s.closed
		if ok {
			m = q.msgs[0]
			q.msgs[0] = queued{}
			q.msgs = q.msgs[1:]
			s.total--
		}
		s.mu.Unlock()
		if ok {
			switch {
			case s.n.now().Sub(m.at) > s.n.opts.sendAge:
				s.stale.Add(1)
			case m.packet:
				s.n.writePacket(q.to, m.data)
			default:
				s.n.write(q.lane, m.data)
			}
		}
		s.mu.Lock()
		var park bool
		q, park = s.next(q)
		s.mu.Unlock()
		if park {
			select {
			case q = <-s.handoff:
			case <-s.n.done:
				return
			}
		}
	}
}

// waitIdle waits until every queued message has been written (or dropped),
// or ctx ends.
func (s *sender) waitIdle(ctx context.Context) error {
	s.mu.Lock()
	if s.workers == s.parked || s.closed {
		s.mu.Unlock()
		return nil
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close drops everything queued; senders exit after their current write,
// which the Node's cancelled context cuts short.
func (s *sender) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	for _, q := range s.queues {
		q.msgs = nil
	}
	s.queues = map[lane]*destQueue{}
	s.waiting = nil
	s.total = 0
}

// write sends one core output: a packet (encoded by the codec and split to
// fit the transport; a message too large for any packet goes over a
// stream) or a stream.
func (n *Node) write(l lane, data []byte) {
	if l.reliable {
		if err := n.sendStream(n.ctx, l.to, data); err != nil {
			n.report(&n.streamErrors, fmt.Errorf("gossip: stream to %s: %w", l.to, err))
		}
		return
	}
	pkts, ok := n.packets(l.to, data)
	if !ok {
		return
	}
	for _, p := range pkts {
		n.writePacket(l.to, p)
	}
}

// packets encodes one core packet for the transport; messages too large
// for any packet are queued for a stream. It reports false, having
// counted the error, when data cannot be encoded.
func (n *Node) packets(to string, data []byte) ([][]byte, bool) {
	pkts, big, err := n.encodePacket(data, n.packetSz)
	if err != nil {
		n.report(&n.sendErrors, fmt.Errorf("gossip: encode for %s: %w", to, err))
		return nil, false
	}
	for _, b := range big {
		n.out.enqueue(to, b, true)
	}
	return pkts, true
}

// writePacket writes one encoded packet, on a sender goroutine. A packet
// not written within the queues' age would be stale: that bounds how long
// a black-holed destination holds a sender.
func (n *Node) writePacket(to string, p []byte) {
	ctx, cancel := context.WithTimeout(n.ctx, min(n.opts.sendAge, n.opts.streamIO))
	err := n.tr.WritePacket(ctx, to, p)
	cancel()
	if err != nil {
		n.report(&n.sendErrors, fmt.Errorf("gossip: send to %s: %w", to, err))
	}
}

// trySend writes a core packet from the protocol goroutine when the
// transport can send without waiting (PacketTryWriter) and nothing is
// queued for the destination ahead of it. It reports whether data was dealt
// with (sent, queued in part, or dropped with an error counted); false
// means the caller must queue it for the senders.
func (n *Node) trySend(to string, data []byte) bool {
	if n.tw == nil || n.out.pending(lane{to, false}) {
		return false
	}
	if n.ctx.Err() != nil {
		return true // shutting down: dropped, as the closed senders would
	}
	pkts, ok := n.packets(to, data)
	if !ok {
		return true
	}
	for i, p := range pkts {
		err := n.tw.TryWritePacket(to, p)
		if errors.Is(err, ErrWouldBlock) {
			// The rest goes through a sender, in order.
			for _, rest := range pkts[i:] {
				n.out.push(lane{to, false}, queued{data: rest, packet: true})
			}
			return true
		}
		if err != nil {
			n.report(&n.sendErrors, fmt.Errorf("gossip: send to %s: %w", to, err))
		}
	}
	return true
}
