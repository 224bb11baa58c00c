package kv

import (
	"fmt"
	"testing"
)

// BenchmarkExchange measures one anti-entropy exchange between two stores
// of 1,000 keys that differ in 10, through the codec.
func BenchmarkExchange(b *testing.B) {
	a, c := mustStoreB(b), mustStoreB(b)
	for i := range 1000 {
		e := Entry{Key: fmt.Sprintf("config/key/%04d", i), Value: make([]byte, 100), Version: ts(int64(i + 1)), Origin: "m1"}
		a.Write(e)
		c.Write(e)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for j := range 10 {
			n++
			a.Write(Entry{Key: fmt.Sprintf("config/key/%04d", j*97), Value: []byte("changed"), Version: ts(int64(10000 + n)), Origin: "m1"})
		}
		d, _ := DecodeDigest(EncodeDigest(a.Digest()))
		rp, _ := DecodeReply(EncodeReply(c.Reconcile(d)))
		p, _ := a.ApplyReply(rp)
		h, es, _ := DecodeEntries(EncodeEntries(p.Horizon, p.Entries))
		_ = c.ApplyPush(Push{Horizon: h, Entries: es})
	}
}

func mustStoreB(b *testing.B) *Store {
	s, err := NewStore(Config{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}
