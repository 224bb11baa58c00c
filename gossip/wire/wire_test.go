package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func samples() []Message {
	meta, _ := EncodeMeta(map[string]string{"role": "db", "zone": "eu-1"}, 0)
	return []Message{
		&Ping{Seq: 1, Source: "a", Target: "b"},
		&Ping{Seq: 1<<32 - 1, Source: "a", Target: "b", Reliable: true},
		&Ack{Seq: 7},
		&Ack{Seq: 7, Reliable: true},
		&Nack{Seq: 9},
		&PingReq{Seq: 3, Target: "c", TargetAddr: "10.0.0.3:7946"},
		&Alive{Incarnation: 1 << 40, ID: "node-1", Addr: "10.0.0.1:7946", Meta: meta},
		&Alive{Incarnation: 2, ID: "n", Addr: "x"},
		&Suspect{Incarnation: 5, ID: "b", From: "a"},
		&Dead{Incarnation: 5, ID: "b", From: "b"},
		&PushPull{Join: true, From: "a", Members: []MemberState{
			{ID: "a", Addr: "1:1", State: StateAlive, Incarnation: 3, Meta: meta},
			{ID: "b", Addr: "1:2", State: StateLeft, Incarnation: 9},
		}},
		&PushPull{Reply: true, From: "z"},
		&User{Origin: "a", Seq: 42, Payload: []byte("hello")},
		&Digest{From: "a", Count: 1000, Sum: 1<<64 - 1},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range samples() {
		t.Run(m.Type().String(), func(t *testing.T) {
			if err := Validate(m); err != nil {
				t.Fatalf("Validate(%#v) = %v", m, err)
			}
			b := Encode(m)
			if len(b) != HeaderSize+Size(m) {
				t.Errorf("len %d, want %d", len(b), HeaderSize+Size(m))
			}
			got, err := DecodePacket(b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if len(got) != 1 || !reflect.DeepEqual(normalize(got[0]), normalize(m)) {
				t.Errorf("round trip: got %#v, want %#v", got[0], m)
			}
		})
	}
}

// normalize maps empty slices to nil for comparison.
func normalize(m Message) Message {
	switch v := m.(type) {
	case *PushPull:
		c := *v
		if len(c.Members) == 0 {
			c.Members = nil
		}
		return &c
	case *User:
		c := *v
		if len(c.Payload) == 0 {
			c.Payload = nil
		}
		return &c
	}
	return m
}

func TestCompound(t *testing.T) {
	msgs := samples()
	b := Encode(msgs...)
	got, err := DecodePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("got %d messages, want %d", len(got), len(msgs))
	}
	for i := range msgs {
		if !reflect.DeepEqual(normalize(got[i]), normalize(msgs[i])) {
			t.Errorf("message %d: got %#v, want %#v", i, got[i], msgs[i])
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := Encode(&Ping{Seq: 1, Source: "a", Target: "b"})
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"header only", []byte{Version}, ErrMalformed},
		{"version", append([]byte{Version + 1}, good[1:]...), ErrVersion},
		{"unknown type", []byte{Version, 200, 0}, ErrMalformed},
		{"truncated body", good[:len(good)-1], ErrMalformed},
		{"trailing in body", []byte{Version, byte(TypeNack), 2, 1, 1}, ErrMalformed},
		{"bad flag", []byte{Version, byte(TypeAck), 2, 1, 7}, ErrMalformed},
		{"huge length", []byte{Version, byte(TypeUser), 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrMalformed},
		{"seq overflow", append([]byte{Version, byte(TypeNack), 6}, 0xff, 0xff, 0xff, 0xff, 0x1f, 0), ErrMalformed},
		{"pushpull count lies", []byte{Version, byte(TypePushPull), 4, 0, 0, 100, 0}, ErrMalformed},
		{"bad state", Encode(&PushPull{Members: []MemberState{{ID: "a", State: 9}}}), ErrMalformed},
		{"bad meta", Encode(&Alive{ID: "a", Meta: "\x01\x00"}), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePacket(tc.in)
			if !errors.Is(err, tc.want) || got != nil {
				t.Errorf("DecodePacket(%x) = %v, %v; want nil, %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", 300)
	cases := []Message{
		&Ping{Source: long},
		&PingReq{TargetAddr: long},
		&Alive{ID: long},
		&Alive{ID: "a", Meta: "junk"},
		&Suspect{From: long},
		&Dead{ID: long},
		&PushPull{From: long},
		&PushPull{Members: []MemberState{{ID: long}}},
		&PushPull{Members: []MemberState{{ID: "a", State: 7}}},
		&PushPull{Members: []MemberState{{ID: "a", Meta: "junk"}}},
		&User{Origin: long},
		&User{Payload: make([]byte, MaxPayloadSize+1)},
	}
	for _, m := range cases {
		if err := Validate(m); err == nil {
			t.Errorf("Validate(%T) accepted an invalid message", m)
		}
	}
}

func TestMeta(t *testing.T) {
	in := map[string]string{"b": "2", "a": "1", "c": ""}
	s, err := EncodeMeta(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := EncodeMeta(map[string]string{"c": "", "a": "1", "b": "2"}, 0)
	if s != s2 {
		t.Error("equal maps encode differently")
	}
	out, err := DecodeMeta(s)
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("DecodeMeta = %v, %v; want %v", out, err, in)
	}
	if m, err := DecodeMeta(""); err != nil || len(m) != 0 || m == nil {
		t.Errorf("DecodeMeta(\"\") = %v, %v", m, err)
	}
	if _, err := EncodeMeta(map[string]string{"k": strings.Repeat("v", 100)}, 50); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized meta: got %v, want ErrTooLarge", err)
	}
	if _, err := EncodeMeta(map[string]string{"": "v"}, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty key: got %v", err)
	}
	if _, err := EncodeMeta(map[string]string{strings.Repeat("k", 300): "v"}, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("long key: got %v", err)
	}
	for _, bad := range []string{"\x00", "\x02\x01a\x00", "\x02\x01b\x00\x01a\x00", "\x01\x01a\x05x", "\x01\x01a\x00z", strings.Repeat("x", MaxMetaSize+1)} {
		if err := ValidateMeta(bad); err == nil {
			t.Errorf("ValidateMeta(%q) accepted", bad)
		}
		if _, err := DecodeMeta(bad); err == nil {
			t.Errorf("DecodeMeta(%q) accepted", bad)
		}
	}
}

func TestStrings(t *testing.T) {
	if TypeAlive.String() != "alive" || Type(99).String() != "type(99)" {
		t.Error("Type.String")
	}
	if StateLeft.String() != "left" || State(9).String() != "state(9)" {
		t.Error("State.String")
	}
}

func TestIntern(t *testing.T) {
	calls := 0
	d := Decoder{Intern: func(b []byte) string { calls++; return string(b) }}
	if _, err := d.DecodePacket(Encode(samples()...)); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("Intern never called")
	}
}

// TestRandomRoundTrip checks generated messages survive encoding.
func TestRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	for i := 0; i < 2000; i++ {
		var m Message
		switch r.IntN(6) {
		case 0:
			m = &Ping{Seq: r.Uint32(), Source: str(), Target: str(), Reliable: r.IntN(2) == 0}
		case 1:
			m = &Alive{Incarnation: r.Uint64(), ID: str(), Addr: str()}
		case 2:
			m = &Suspect{Incarnation: r.Uint64(), ID: str(), From: str()}
		case 3:
			m = &Dead{Incarnation: r.Uint64(), ID: str(), From: str()}
		case 4:
			m = &User{Origin: str(), Seq: r.Uint64(), Payload: []byte(str())}
		default:
			m = &PingReq{Seq: r.Uint32(), Target: str(), TargetAddr: str()}
		}
		got, err := DecodePacket(Encode(m))
		if err != nil || !reflect.DeepEqual(normalize(got[0]), normalize(m)) {
			t.Fatalf("round trip of %#v: got %#v, %v", m, got, err)
		}
	}
}

func FuzzDecodePacket(f *testing.F) {
	for _, m := range samples() {
		f.Add(Encode(m))
	}
	f.Add(Encode(samples()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		msgs, err := DecodePacket(b)
		if !bytes.Equal(in, b) {
			t.Fatal("decoder modified its input")
		}
		if err != nil {
			if msgs != nil {
				t.Fatal("messages returned with an error")
			}
			return
		}
		// Whatever decodes must re-encode to something that decodes equal.
		for _, m := range msgs {
			if err := Validate(m); err != nil {
				t.Fatalf("decoded message fails Validate: %v", err)
			}
		}
		again, err := DecodePacket(Encode(msgs...))
		if err != nil || len(again) != len(msgs) {
			t.Fatalf("re-encoding failed: %v", err)
		}
		for i := range msgs {
			if !reflect.DeepEqual(normalize(again[i]), normalize(msgs[i])) {
				t.Fatalf("re-encode mismatch: %#v vs %#v", again[i], msgs[i])
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	for _, m := range samples()[:11] {
		b.Run(m.Type().String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1500)
			for b.Loop() {
				buf = AppendMessage(AppendHeader(buf[:0]), m)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, m := range samples()[:11] {
		data := Encode(m)
		b.Run(m.Type().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodePacket(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
