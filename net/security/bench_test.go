package security

import (
	"bytes"
	"testing"

	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/net/internal/wiregen"
)

// BenchmarkPacket measures the cost per packet of sealing and opening a
// typical compound packet with each key size.
func BenchmarkPacket(b *testing.B) {
	var msgs []wire.Message
	for _, s := range wiregen.Samples()[:7] {
		msgs = append(msgs, s.Msg)
	}
	pkt := wire.Encode(msgs...)
	for _, size := range []int{16, 24, 32} {
		k, _ := NewKey(bytes.Repeat([]byte{1}, size))
		r, _ := NewKeyring(k)
		w, _ := Wrap(nil, WithKeyring(r), WithLabel("bench"))
		name := k.String()[:7]
		b.Run(name+"/seal", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				if _, err := w.seal(pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
		sealed, _ := w.seal(pkt)
		b.Run(name+"/open", func(b *testing.B) {
			w.replay = newReplayFilter(1) // every open is the same nonce; keep the window tiny
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				w.replay = replayFilter{seen: map[[nonceSize]byte]struct{}{}, ring: make([][nonceSize]byte, 0, 1)}
				if _, _, ok := w.open(sealed); !ok {
					b.Fatal("open failed")
				}
			}
		})
	}
	plain, _ := Wrap(nil, WithLabel("bench"))
	b.Run("label-only/seal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			plain.seal(pkt)
		}
	})
}
