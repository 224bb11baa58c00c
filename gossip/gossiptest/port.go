package gossiptest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FixedAddr returns a loopback address, "127.0.0.1:PORT", whose port is
// free for TCP and UDP at the time and lies below the kernel's ephemeral
// port range, for a test that must restart a process on the address it
// had. A port from the ephemeral range (what "127.0.0.1:0" hands out) can
// be taken by any outgoing connection on the machine while its process is
// down, and the restart then fails to bind; a port below the range is
// only ever taken by a program that asks for it by number.
func FixedAddr(t testing.TB) string {
	t.Helper()
	lo, hi := fixedRange()
	for range 200 {
		port := lo + rand.IntN(hi-lo)
		if portFree(port) {
			return fmt.Sprintf("127.0.0.1:%d", port)
		}
	}
	t.Fatalf("gossiptest: no free port in [%d, %d) after 200 tries", lo, hi)
	return ""
}

// fixedRange returns the ports FixedAddr picks from: the upper half of
// those below the ephemeral range (Linux's ip_local_port_range, or its
// default 32768-60999 when that cannot be read).
func fixedRange() (lo, hi int) {
	hi = 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n >= 4096 {
				hi = n
			}
		}
	}
	return hi / 2, hi
}

// portFree reports whether port can be bound on 127.0.0.1 for both TCP
// and UDP.
func portFree(port int) bool {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	pc.Close()
	return true
}
