package query

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to both decoders: no panic, and what
// decodes re-encodes to an equivalent message.
func FuzzDecode(f *testing.F) {
	f.Add(encodeRequest(Request{ID: 7, Name: "dump", From: "m1", replyTo: "127.0.0.1:9", Timeout: time.Second, Ack: true,
		Filter: Filter{IDs: []string{"m2"}, Tags: map[string]string{"role": "db"}}, Payload: []byte("x")}))
	f.Add(encodeRequest(Request{ID: 8, Name: "dump", From: "m1", replyTo: "127.0.0.1:9", Timeout: time.Second,
		traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "k=v"}))
	f.Add(encodeReply(reply{ID: 7, From: "m2", Payload: []byte("answer")}))
	f.Add(encodeReply(reply{ID: 7, From: "m2", Ack: true, Err: "no"}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if r, err := decodeRequest(in); err == nil {
			back, err := decodeRequest(encodeRequest(r))
			if err != nil || back.ID != r.ID || back.traceparent != r.traceparent || back.tracestate != r.tracestate || back.Name != r.Name || !bytes.Equal(back.Payload, r.Payload) || len(back.Filter.Tags) != len(r.Filter.Tags) {
				t.Fatalf("request does not round-trip: %+v vs %+v (%v)", r, back, err)
			}
		}
		if r, err := decodeReply(in); err == nil {
			if !bytes.Equal(encodeReply(r), in) {
				t.Fatalf("reply does not round-trip")
			}
		}
	})
}
