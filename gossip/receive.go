package gossip

// startReceiving connects the transport's deliveries to the Node: packets
// go to the protocol goroutine (dropped and counted when it is behind,
// as a busy socket would), streams to a reader each.
func (n *Node) startReceiving() {
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		packets := n.tr.Packets()
		for {
			select {
			case <-n.done:
				return
			case p, ok := <-packets:
				if !ok {
					return
				}
				n.handlePacket(p)
			}
		}
	}()
	go func() {
		defer n.wg.Done()
		streams := n.tr.Streams()
		for {
			select {
			case <-n.done:
				return
			case c, ok := <-streams:
				if !ok {
					return
				}
				n.acceptStream(c)
			}
		}
	}()
}

// handlePacket queues a received packet for the protocol goroutine without
// blocking.
func (n *Node) handlePacket(p Packet) {
	select {
	case n.inbound <- input{from: p.From, data: p.Data}:
	default:
		n.inboundDropped.Add(1)
	}
}
