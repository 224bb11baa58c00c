package security

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/net/internal/wiregen"
)

func fuzzKeyring() *Keyring {
	k, _ := NewKey(bytes.Repeat([]byte{7}, 32))
	r, _ := NewKeyring(k)
	return r
}

func fuzzWrappers(tb testing.TB) map[string]*Transport {
	out := map[string]*Transport{}
	for name, opts := range map[string][]Option{
		"plain":     nil,
		"label":     {WithLabel("fuzz")},
		"key+label": {WithKeyring(fuzzKeyring()), WithLabel("fuzz")},
	} {
		t, err := Wrap(nil, opts...)
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = t
	}
	return out
}

// FuzzOpenPacket feeds arbitrary packets to the receive path of every
// wrapper (plain, labelled, encrypted), then to the codec: no panic, and
// nothing unauthenticated gets through an encrypted wrapper.
func FuzzOpenPacket(f *testing.F) {
	ws := fuzzWrappers(f)
	for _, s := range wiregen.Samples() {
		pkt := wire.Encode(s.Msg)
		for _, w := range ws {
			sealed, _ := w.seal(pkt)
			f.Add(sealed)
		}
	}
	f.Add([]byte{envSealed})
	f.Add([]byte{envLabelled, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		for name, w := range ws {
			w.replay = newReplayFilter(4)
			data, _, ok := w.open(b)
			if !ok {
				continue
			}
			if name == "key+label" && len(b) < Overhead {
				t.Fatalf("%s accepted a %d-byte packet", name, len(b))
			}
			_, _ = gossip.BinaryCodec{}.Decode(data)
		}
	})
}

// FuzzSealedRoundTrip seals arbitrary payloads and opens them again.
func FuzzSealedRoundTrip(f *testing.F) {
	ws := fuzzWrappers(f)
	f.Add([]byte("payload"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for name, w := range ws {
			w.replay = newReplayFilter(4)
			sealed, err := w.seal(b)
			if err != nil {
				t.Fatal(err)
			}
			got, _, ok := w.open(sealed)
			if !ok || !bytes.Equal(got, b) {
				t.Fatalf("%s: round trip failed: %v %x", name, ok, got)
			}
		}
	})
}

// FuzzStreamHandshake feeds arbitrary bytes to the accepting side of a
// stream for every wrapper: no panic, no hang.
func FuzzStreamHandshake(f *testing.F) {
	ws := fuzzWrappers(f)
	for _, w := range ws {
		var buf bytes.Buffer
		c := &recordConn{w: &buf}
		if _, err := w.secureDial(f.Context(), c, "127.0.0.1:1"); err == nil {
			f.Add(buf.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, w := range ws {
			w.o.handshake = time.Second
			c := &recordConn{r: bytes.NewReader(b)}
			sc, err := w.secureAccept(c)
			if err == nil && sc != nil {
				buf := make([]byte, 512)
				for {
					if _, err := sc.Read(buf); err != nil {
						break
					}
				}
			}
		}
	})
}

// recordConn is a net.Conn over a reader and a writer.
type recordConn struct {
	net.Conn
	r *bytes.Reader
	w *bytes.Buffer
}

func (c *recordConn) Read(p []byte) (int, error) {
	if c.r == nil {
		return 0, net.ErrClosed
	}
	return c.r.Read(p)
}
func (c *recordConn) Write(p []byte) (int, error) {
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}
func (c *recordConn) SetDeadline(time.Time) error      { return nil }
func (c *recordConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recordConn) SetWriteDeadline(time.Time) error { return nil }
func (c *recordConn) Close() error                     { return nil }
