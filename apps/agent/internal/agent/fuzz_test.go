package agent

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

// FuzzUserEvent feeds arbitrary broadcast payloads (remote input) to the
// user event decoder and the event conversion: no panic, and anything
// accepted re-encodes to an equal event.
func FuzzUserEvent(f *testing.F) {
	f.Add(encodeUserEvent(userEvent{Name: "deploy", Payload: "v1", From: "a"}))
	f.Add([]byte("\x00lgc/query\x01xyz"))
	f.Add(append(bytes.Clone(userPrefix), []byte(`{"name":""}`)...))
	f.Add(append(bytes.Clone(userPrefix), 0xff, 0xfe))
	f.Fuzz(func(t *testing.T, p []byte) {
		u, ok := decodeUserEvent(p)
		e, conv := convert(gossip.Event{Type: gossip.EventUser, Payload: p, Time: time.Unix(0, 0)})
		if ok != conv {
			t.Fatalf("decode %v, convert %v", ok, conv)
		}
		if !ok {
			return
		}
		if u.Name == "" || e.Name != u.Name {
			t.Fatalf("accepted %+v as %+v", u, e)
		}
		back, ok2 := decodeUserEvent(encodeUserEvent(u))
		if !ok2 || back != u {
			t.Fatalf("round trip %+v -> %+v", u, back)
		}
	})
}

// FuzzQueryPayloads feeds arbitrary payloads to the decoders of the agents'
// own queries (sent by other members): no panic; errors leave state alone.
func FuzzQueryPayloads(f *testing.F) {
	f.Add([]byte(`{"node":"a","prune":true}`))
	f.Add([]byte(`{"op":"install","key":"MDEyMzQ1Njc4OWFiY2RlZg=="}`))
	f.Add([]byte(`{"op":"list"}`))
	f.Add([]byte(`nope`))
	f.Fuzz(func(t *testing.T, p []byte) {
		var fl forceLeaveReq
		_ = json.Unmarshal(p, &fl)
		var kr keysReq
		if json.Unmarshal(p, &kr) == nil {
			a := &Agent{} // no keyring: every key operation is refused
			if _, err := a.localKeys(kr); err != ErrNoKeyring {
				t.Fatalf("without keyring: %v", err)
			}
		}
	})
}
