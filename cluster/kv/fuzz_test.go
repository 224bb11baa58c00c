package kv

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the three decoders of remote input:
// no panic, and whatever decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	e := Entry{Key: "k", Value: []byte("v"), Version: ts(5), Origin: "m1"}
	f.Add(EncodeEntries(ts(1), []Entry{e, {Key: "d", Version: ts(6), Origin: "m2", Deleted: true}}))
	f.Add(EncodeDigest(Digest{Horizon: ts(1), Hash: 9, Entries: []DigestEntry{{Key: "k", Version: ts(5), Origin: "m1", Sum: 3}}}))
	f.Add(EncodeReply(Reply{Horizon: ts(2), Send: []Entry{e}, Drop: []DigestEntry{{Key: "x", Origin: "o"}}, Want: []string{"k"}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if h, es, err := DecodeEntries(in); err == nil && !bytes.Equal(EncodeEntries(h, es), in) {
			t.Fatal("entries do not round-trip")
		}
		if d, err := DecodeDigest(in); err == nil && !bytes.Equal(EncodeDigest(d), in) {
			t.Fatal("digest does not round-trip")
		}
		if r, err := DecodeReply(in); err == nil && !bytes.Equal(EncodeReply(r), in) {
			t.Fatal("reply does not round-trip")
		}
	})
}
