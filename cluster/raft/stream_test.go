package raft

import (
	"net"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// handlersDone is closed only once the goroutine serving each inbound
// connection has closed it, not when closeAll closes the sockets: raft
// may still be storing a heartbeat's term on such a goroutine, and
// Shutdown closes the store only after handlersDone.
func TestHandlersDoneWaitsForInbound(t *testing.T) {
	gossiptest.Check(t)
	newLayer := func() *streamLayer {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return newStreamLayer(ln, ln.Addr(), 8, 8)
	}
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}

	// No inbound connection: done as soon as the layer is closed.
	idle := newLayer()
	if closed(idle.handlersDone()) {
		t.Fatal("handlersDone closed before closeAll")
	}
	idle.closeAll()
	if !closed(idle.handlersDone()) {
		t.Fatal("handlersDone open after closeAll with no inbound connection")
	}

	l, peer := newLayer(), newLayer()
	defer peer.closeAll()
	client, err := net.Dial("tcp", l.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	in, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	go func() { // the peer accepts l's outbound connection
		if c, err := peer.Accept(); err == nil {
			c.Close()
		}
	}()
	out, err := l.Dial(hraft.ServerAddress(peer.Addr().String()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	l.closeAll()
	// The socket under the handler is closed: its read fails, as the
	// transport's would.
	_ = in.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
	if _, err := in.Read(make([]byte, 1)); err == nil {
		t.Fatal("read on an inbound connection after closeAll succeeded")
	}
	if n, o := l.open(); n != 1 || o != 0 {
		t.Fatalf("after closeAll: %d inbound, %d outbound tracked; want 1 (its handler still running), 0", n, o)
	}
	if closed(l.handlersDone()) {
		t.Fatal("handlersDone closed while an inbound connection's handler runs")
	}
	in.Close() // the handler returns
	select {
	case <-l.handlersDone():
	case <-time.After(gossiptest.Timeout):
		t.Fatal("handlersDone still open after the last handler closed its connection")
	}
	if n, o := l.open(); n != 0 || o != 0 {
		t.Fatalf("at the end: %d inbound, %d outbound tracked", n, o)
	}
}
