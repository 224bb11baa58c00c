package json_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/net/codec/json"
)

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{``, wire.ErrMalformed},
		{`[]`, wire.ErrMalformed},
		{`{"msgs":[]}`, wire.ErrMalformed},
		{`{"v":1}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"ack"}]} {}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"bogus"}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"ack","extra":1}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"ack","id":"x"}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"ping","seq":4294967296}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"ack","seq":4294967296}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"nack","seq":4294967296}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"ping-req","seq":4294967296}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"push-pull","members":[{"id":"a","state":"zombie"}]}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"push-pull","members":[{"id":"a","state":"alive","meta":{"":"x"}}]}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"alive","meta":{"":"x"}}]}`, wire.ErrMalformed},
		{`{"v":1,"msgs":[{"type":"suspect","id":"` + strings.Repeat("x", 256) + `"}]}`, wire.ErrTooLarge},
		{`{"v":3,"msgs":[{"type":"ack"}]}`, wire.ErrVersion},
		{strings.Repeat(" ", json.MaxPacketSize+1), wire.ErrTooLarge},
	} {
		_, err := json.Codec{}.Decode([]byte(tc.in))
		if !errors.Is(err, tc.want) {
			in := tc.in
			if len(in) > 80 {
				in = in[:80] + "..."
			}
			t.Errorf("Decode(%s) = %v, want %v", in, err, tc.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, msgs := range [][]wire.Message{
		{nil},
		{&wire.Suspect{ID: strings.Repeat("x", 300)}},
		{&wire.Suspect{ID: "\xff"}},
		{&wire.Alive{ID: "a", Meta: "\x05"}},
		{&wire.PushPull{Members: []wire.MemberState{{ID: "a", Meta: "\x05"}}}},
	} {
		if _, err := (json.Codec{}).Encode(msgs); err == nil {
			t.Errorf("Encode(%#v) succeeded", msgs)
		}
	}
}

func TestPayloadEmpty(t *testing.T) {
	msgs, err := json.Codec{}.Decode([]byte(`{"v":1,"msgs":[{"type":"user","origin":"a","payload":""}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if u := msgs[0].(*wire.User); u.Payload != nil {
		t.Fatalf("payload %v, want nil", u.Payload)
	}
}
