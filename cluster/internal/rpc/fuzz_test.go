package rpc

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzFrame feeds arbitrary bytes to the frame reader and the request and
// response decoders: no panic, no allocation beyond the limit, and every
// request that decodes re-encodes to the same payload.
func FuzzFrame(f *testing.F) {
	req, _ := EncodeRequest("kv.sync", []byte("digest"))
	var framed bytes.Buffer
	_ = WriteFrame(&framed, req)
	f.Add(framed.Bytes())
	f.Add([]byte{0, 0, 0, 1, kindBusy})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 3, kindError, 'n', 'o'})
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 4096
		p, err := ReadFrame(bytes.NewReader(in), limit)
		if err != nil {
			if len(in) >= 4 && errors.Is(err, ErrFrameTooLarge) && len(p) != 0 {
				t.Fatal("data returned with an error")
			}
			return
		}
		if len(p) > limit {
			t.Fatalf("frame of %d bytes over limit", len(p))
		}
		if m, body, err := DecodeRequest(p); err == nil {
			again, err := EncodeRequest(m, body)
			if err != nil || !bytes.Equal(again, p) {
				t.Fatalf("request does not round-trip: %v", err)
			}
		}
		_, _ = DecodeResponse(p)
		_ = decodeGreeting(p)
	})
}
