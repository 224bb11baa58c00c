package peer

import (
	"bytes"
	"testing"
)

// FuzzDecode: no input panics a decoder, and what decodes re-encodes to
// something that decodes the same.
func FuzzDecode(f *testing.F) {
	f.Add(EncodeExec(2, [][]byte{[]byte("GET"), []byte("k")}))
	f.Add(EncodeEntries([]KeyEntry{{Key: "k"}}))
	f.Add(EncodeStrings([]string{"a", "b"}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, args, err := DecodeExec(b); err == nil {
			if _, args2, err := DecodeExec(EncodeExec(p, args)); err != nil || len(args2) != len(args) {
				t.Fatalf("exec round trip: %v", err)
			}
		}
		if es, err := DecodeEntries(b); err == nil {
			es2, err := DecodeEntries(EncodeEntries(es))
			if err != nil || len(es2) != len(es) {
				t.Fatalf("entries round trip: %v", err)
			}
		}
		if ss, err := DecodeStrings(b); err == nil {
			if ss2, err := DecodeStrings(EncodeStrings(ss)); err != nil || len(ss2) != len(ss) {
				t.Fatalf("strings round trip: %v", err)
			}
		}
		if bs, err := DecodeBatch(b); err == nil {
			if bs2, err := DecodeBatch(EncodeBatch(bs)); err != nil || len(bs2) != len(bs) {
				t.Fatalf("batch round trip: %v", err)
			}
		}
		var hdr [headerLen]byte
		if fr, err := readFrame(bytes.NewReader(b), hdr[:], 1<<16); err == nil && len(fr.payload) > 1<<16 {
			t.Fatalf("frame of %d bytes passed a 64 KiB bound", len(fr.payload))
		}
	})
}
