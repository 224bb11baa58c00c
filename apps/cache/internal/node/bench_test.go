package node

import (
	"context"
	"testing"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

// BenchmarkExecSingleNode measures SET and GET through Exec on one node
// (no network): the per-command cost outside the socket.
func BenchmarkExecSingleNode(b *testing.B) {
	c := startCluster(b, 1, nil)
	n := c.nodes[0]
	ctx := context.Background()
	set := [][]byte{[]byte("SET"), []byte("key:__rand_int__"), []byte("xxx")}
	get := [][]byte{[]byte("GET"), []byte("key:__rand_int__")}
	b.ReportAllocs()
	for b.Loop() {
		n.Exec(ctx, 2, set)
		n.Exec(ctx, 2, get)
	}
}

// BenchmarkExecBatch measures a pipelined run of 16 SETs and one of 16
// GETs of one key through ExecBatch on one node (no network): the
// per-batch cost redis-benchmark -P 16 puts on the executor. Each op is
// one run of 16.
func BenchmarkExecBatch(b *testing.B) {
	c := startCluster(b, 1, nil)
	n := c.nodes[0]
	ctx := context.Background()
	for _, name := range []string{"SET", "GET"} {
		args := [][]byte{[]byte(name), []byte("key:__rand_int__"), []byte("xxx")}
		if name == "GET" {
			args = args[:2]
		}
		cmds := make([][][]byte, 16)
		for i := range cmds {
			cmds[i] = args
		}
		b.Run(name, func(b *testing.B) {
			var out resp.Out
			b.ReportAllocs()
			for b.Loop() {
				out.B = out.B[:0]
				n.ExecBatch(ctx, 2, cmds, &out)
			}
		})
	}
}
