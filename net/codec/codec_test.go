package codec_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/net/codec"
	"github.com/libgossip/libgossip/net/codec/json"
	"github.com/libgossip/libgossip/net/internal/wiregen"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var codecs = []gossip.Codec{gossip.BinaryCodec{}, json.Codec{}}

// TestRoundTrip: a message encoded and decoded by either codec comes back
// equal, and both codecs agree.
func TestRoundTrip(t *testing.T) {
	g := wiregen.New(1)
	for i := range 3000 {
		msgs := g.Packet()
		var decoded [][]wire.Message
		for _, c := range codecs {
			b, err := c.Encode(msgs)
			if err != nil {
				t.Fatalf("packet %d: %s.Encode: %v", i, c.Name(), err)
			}
			got, err := c.Decode(b)
			if err != nil {
				t.Fatalf("packet %d: %s.Decode: %v\n%s", i, c.Name(), err, b)
			}
			decoded = append(decoded, got)
			if !bytes.Equal(wire.Encode(got...), wire.Encode(msgs...)) {
				t.Fatalf("packet %d: %s round trip changed the messages:\ngot  %#v\nwant %#v", i, c.Name(), got, msgs)
			}
		}
		if !reflect.DeepEqual(decoded[0], decoded[1]) {
			t.Fatalf("packet %d: codecs disagree:\nbinary %#v\njson   %#v", i, decoded[0], decoded[1])
		}
	}
}

// TestGolden pins the binary wire format, version 1, one file per type.
func TestGolden(t *testing.T) {
	for _, s := range wiregen.Samples() {
		t.Run(s.Name, func(t *testing.T) {
			path := filepath.Join("testdata", "binary-v1", s.Name+".hex")
			b, err := gossip.BinaryCodec{}.Encode([]wire.Message{s.Msg})
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			want, err := hex.DecodeString(strings.TrimSpace(string(text)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Fatalf("binary encoding of %s changed:\ngot  %x\nwant %x", s.Name, b, want)
			}
			if want[0] != wire.Version || wire.Version != 1 {
				t.Fatalf("golden file is not version 1")
			}
			got, err := gossip.BinaryCodec{}.Decode(want)
			if err != nil || !reflect.DeepEqual(got, []wire.Message{s.Msg}) {
				t.Fatalf("decoding the golden file: %#v, %v", got, err)
			}
		})
	}
}

func TestUnknownVersion(t *testing.T) {
	bin := wire.Encode(&wire.Ack{Seq: 1})
	for _, v := range []byte{0, 2, 255} {
		bad := append([]byte{v}, bin[1:]...)
		if _, err := (gossip.BinaryCodec{}).Decode(bad); !errors.Is(err, wire.ErrVersion) {
			t.Errorf("binary version %d: %v, want ErrVersion", v, err)
		}
	}
	for _, in := range []string{`{"v":2,"msgs":[{"type":"ack","seq":1}]}`, `{"v":0,"msgs":[]}`, `{"v":-1}`} {
		if _, err := (json.Codec{}).Decode([]byte(in)); !errors.Is(err, wire.ErrVersion) {
			t.Errorf("json %s: %v, want ErrVersion", in, err)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range append(codec.Names(), "") {
		c, err := codec.Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		if name != "" && c.Name() != name {
			t.Fatalf("Lookup(%q).Name() = %q", name, c.Name())
		}
	}
	if _, err := codec.Lookup("xml"); !errors.Is(err, codec.ErrUnknown) {
		t.Fatalf("Lookup(xml): %v", err)
	}
}

func FuzzDecodeBinary(f *testing.F) {
	for _, s := range wiregen.Samples() {
		f.Add(wire.Encode(s.Msg))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := gossip.BinaryCodec{}.Decode(b)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrVersion) && !errors.Is(err, wire.ErrTooLarge) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		// Whatever decodes re-encodes, in both codecs.
		for _, c := range codecs {
			enc, err := c.Encode(msgs)
			if err != nil {
				if c.Name() == "json" && errors.Is(err, wire.ErrMalformed) {
					continue // not UTF-8
				}
				t.Fatalf("%s.Encode of decoded messages: %v", c.Name(), err)
			}
			again, err := c.Decode(enc)
			if err != nil || !reflect.DeepEqual(again, msgs) {
				t.Fatalf("%s round trip: %#v, %v", c.Name(), again, err)
			}
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range wiregen.Samples() {
		b, _ := json.Codec{}.Encode([]wire.Message{s.Msg})
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"msgs":[{"type":"ping","seq":4294967296}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := json.Codec{}.Decode(b)
		if err != nil {
			return
		}
		bin, err := gossip.BinaryCodec{}.Encode(msgs)
		if err != nil {
			t.Fatalf("decoded JSON does not re-encode in binary: %v", err)
		}
		again, err := gossip.BinaryCodec{}.Decode(bin)
		if err != nil || !reflect.DeepEqual(again, msgs) {
			t.Fatalf("binary round trip: %#v, %v", again, err)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range codecs {
		for _, s := range wiregen.Samples() {
			msgs := []wire.Message{s.Msg}
			b.Run(c.Name()+"/"+s.Name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Encode(msgs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range codecs {
		for _, s := range wiregen.Samples() {
			p, err := c.Encode([]wire.Message{s.Msg})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c.Name()+"/"+s.Name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					if _, err := c.Decode(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
