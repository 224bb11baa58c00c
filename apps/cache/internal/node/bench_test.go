package node

import (
	"context"
	"testing"
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
