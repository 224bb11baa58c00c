package node

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
)

// pipeClients drives addr the way redis-benchmark -P depth does: conns
// connections, each sending depth copies of cmd at a time and reading
// their replies, until b.N commands are answered. Each reply must equal
// want.
func pipeClients(b *testing.B, addr string, conns, depth int, cmd, want []byte) {
	b.Helper()
	batch := bytes.Repeat(cmd, depth)
	wantAll := bytes.Repeat(want, depth)
	rounds := (b.N + conns*depth - 1) / (conns * depth)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	b.ResetTimer()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			got := make([]byte, len(wantAll))
			for range rounds {
				if _, err := c.Write(batch); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(r, got); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, wantAll) {
					errs <- fmt.Errorf("reply %q, want %q", got, wantAll)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

var (
	benchSet = []byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n")
	benchGet = []byte("*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n")
	benchVal = []byte("$3\r\nxxx\r\n")
)

// BenchmarkPipelined measures SET and GET over loopback with 50 clients
// pipelining 16 commands (redis-benchmark -c 50 -P 16), on one node and
// through the first node of a 3-node cluster (R=2, W=2).
func BenchmarkPipelined(b *testing.B) {
	for _, size := range []int{1, 3} {
		c := startCluster(b, size, nil)
		addr := c.nodes[0].RESPAddr()
		for _, depth := range []int{16, 1} {
			b.Run(fmt.Sprintf("nodes=%d/P=%d/SET", size, depth), func(b *testing.B) {
				b.ReportAllocs()
				pipeClients(b, addr, 50, depth, benchSet, []byte("+OK\r\n"))
			})
			b.Run(fmt.Sprintf("nodes=%d/P=%d/GET", size, depth), func(b *testing.B) {
				if err := c.client(0).Set(b.Context(), "key:__rand_int__", "xxx", 0).Err(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				pipeClients(b, addr, 50, depth, benchGet, benchVal)
			})
		}
		c.close()
		c.nodes = nil
	}
}
