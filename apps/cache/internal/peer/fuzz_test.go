package peer

import (
	"bytes"
	"errors"
	"testing"

	"github.com/libgossip/libgossip/apps/cache/internal/store"
	"github.com/libgossip/libgossip/utils/clock"
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

// FuzzReadAnswers: no input panics DecodeReadAnswers, and what decodes
// re-encodes to the same answers.
func FuzzReadAnswers(f *testing.F) {
	f.Add(EncodeReadAnswers(nil))
	f.Add(EncodeReadAnswers([]ReadAnswer{{}, {Found: true, Entry: store.Entry{Value: []byte("v"), ExpireAt: 9,
		Version: store.Version{TS: clock.Timestamp{Wall: 5, Logical: 1}, Node: 3}}}, {Found: true, Entry: store.Entry{Deleted: true}}}))
	f.Add([]byte{1, 2})
	f.Add([]byte{1, 1, 1, 'k', 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := DecodeReadAnswers(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		as2, err := DecodeReadAnswers(EncodeReadAnswers(as))
		if err != nil || len(as2) != len(as) {
			t.Fatalf("round trip: %d answers, then %d (%v)", len(as), len(as2), err)
		}
		for i := range as {
			a, a2 := as[i], as2[i]
			if a.Found != a2.Found || a.Entry.Deleted != a2.Entry.Deleted || a.Entry.ExpireAt != a2.Entry.ExpireAt ||
				a.Entry.Version != a2.Entry.Version || !bytes.Equal(a.Entry.Value, a2.Entry.Value) {
				t.Fatalf("answer %d: %+v, then %+v", i, a, a2)
			}
		}
	})
}
