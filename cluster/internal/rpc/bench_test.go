package rpc

import (
	"context"
	"testing"
)

// BenchmarkCall64K measures one call carrying a 64 KiB request and
// response over loopback (a new connection per call).
func BenchmarkCall64K(b *testing.B) {
	s, err := NewServer(echo)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background(), "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	c, _ := NewClient()
	body := make([]byte, 64<<10)
	b.ReportAllocs()
	b.SetBytes(2 * int64(len(body)))
	for b.Loop() {
		if _, err := c.Call(context.Background(), s.Addr(), "echo", body); err != nil {
			b.Fatal(err)
		}
	}
}
