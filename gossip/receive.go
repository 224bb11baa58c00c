package gossip

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// nodeHandler is the Node's Handler: what the transport delivers goes to
// the protocol goroutine, packets without ever blocking the transport.
type nodeHandler struct{ n *Node }

// HandlePacket queues p for the protocol goroutine; when it is behind,
// the packet is dropped and counted (NodeStats.InboundDropped), as a busy
// socket would drop it.
func (h nodeHandler) HandlePacket(p Packet) {
	if !h.n.inbound.put(input{from: p.From, data: p.Data}) {
		h.n.inboundDropped.Add(1)
	}
}

// HandleStream reads frames from an inbound stream and hands each to the
// protocol goroutine, waiting for it to take the frame, until the peer closes it, a read times out, or the Node shuts
// down. It runs on the transport's goroutine for this stream; the
// transport closes conn afterwards (and on Close).
func (h nodeHandler) HandleStream(conn net.Conn) {
	n := h.n
	from := conn.RemoteAddr().String()
	for {
		_ = conn.SetReadDeadline(time.Now().Add(n.opts.streamIO))
		b, err := frame.Read(conn, MaxStreamFrame)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				n.report(&n.streamErrors, fmt.Errorf("gossip: stream from %s: %w", from, err))
			}
			return
		}
		select {
		case n.frames <- input{from: from, data: b, stream: true}:
		case <-n.done:
			return
		}
	}
}
