package gossiptest

import (
	"net"
	"strconv"
	"testing"
)

// TestFixedAddr: the address is on loopback, its port below the ephemeral
// range and bindable for TCP and UDP once returned.
func TestFixedAddr(t *testing.T) {
	lo, hi := fixedRange()
	if lo < 1024 || hi <= lo {
		t.Fatalf("range [%d, %d)", lo, hi)
	}
	for range 20 {
		addr := FixedAddr(t)
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if host != "127.0.0.1" || port < lo || port >= hi {
			t.Fatalf("%s: want 127.0.0.1 and a port in [%d, %d)", addr, lo, hi)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("tcp %s: %v", addr, err)
		}
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			ln.Close()
			t.Fatalf("udp %s: %v", addr, err)
		}
		// Taken now: portFree must say so.
		if portFree(port) {
			t.Errorf("port %d reported free while bound", port)
		}
		pc.Close()
		ln.Close()
	}
}
