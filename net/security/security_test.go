package security_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/wire/frame"
	"github.com/libgossip/libgossip/net/security"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
	"github.com/libgossip/libgossip/net/transport/hybrid"
)

func mustKey(t testing.TB, size int) security.Key {
	k, err := security.GenerateKey(size)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ring(t testing.TB, keys ...security.Key) *security.Keyring {
	r, err := security.NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wrap(t testing.TB, opts ...security.Option) *security.Transport {
	t.Helper()
	c := stats.New()
	tr, err := security.Wrap(hybrid.New("127.0.0.1:0", transport.WithCounters(c)), append([]security.Option{security.WithCounters(c)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func started(t *testing.T, opts ...security.Option) (*security.Transport, *gossiptest.Sink) {
	t.Helper()
	tr := wrap(t, opts...)
	return tr, gossiptest.StartTransport(t, tr)
}

func TestContract(t *testing.T) {
	k := mustKey(t, 32)
	certs := newCerts(t)
	for name, opts := range map[string][]security.Option{
		"none":        nil,
		"label":       {security.WithLabel("prod")},
		"key":         {security.WithKeyring(ring(t, k))},
		"key+label":   {security.WithKeyring(ring(t, k)), security.WithLabel("prod")},
		"tls+label":   {security.WithTLS(certs.config(t, true)), security.WithLabel("prod")},
		"tls+key":     {security.WithTLS(certs.config(t, true)), security.WithKeyring(ring(t, k))},
		"aes-128+tls": {security.WithKeyring(ring(t, mustKey(t, 16))), security.WithTLS(certs.config(t, true))},
	} {
		t.Run(name, func(t *testing.T) {
			gossiptest.Check(t)
			gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
				return wrap(t, opts...), wrap(t, opts...)
			}, gossiptest.Features{Streams: true, ExactFrom: true})
		})
	}
}

func TestKey(t *testing.T) {
	for _, n := range []int{0, 8, 15, 33} {
		if _, err := security.NewKey(make([]byte, n)); !errors.Is(err, security.ErrKeySize) {
			t.Errorf("NewKey(%d bytes): %v, want ErrKeySize", n, err)
		}
		if _, err := security.GenerateKey(n); !errors.Is(err, security.ErrKeySize) {
			t.Errorf("GenerateKey(%d): %v, want ErrKeySize", n, err)
		}
	}
	for _, n := range []int{16, 24, 32} {
		k := mustKey(t, n)
		if k.Size() != n {
			t.Errorf("Size %d, want %d", k.Size(), n)
		}
		p, err := security.ParseKey(k.Encode())
		if err != nil || !p.Equal(k) {
			t.Errorf("ParseKey(Encode()) = %v, %v", p, err)
		}
		if want := fmt.Sprintf("aes-%d:%s", 8*n, k.Fingerprint()); k.String() != want {
			t.Errorf("String %q, want %q", k.String(), want)
		}
	}
	if _, err := security.ParseKey("!!"); err == nil {
		t.Error("ParseKey of bad base64 succeeded")
	}
	if (security.Key{}).String() != "aes:none" {
		t.Error("zero key String")
	}
}

func TestKeyRedacted(t *testing.T) {
	raw := bytes.Repeat([]byte{0xAB}, 32)
	k, err := security.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	r := ring(t, k)
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	l.Info("keys", "key", k, "ring", r, "ptr", &k)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
		fmt.Fprintf(&buf, verb+"\n", k)
	}
	fmt.Fprintf(&buf, "%v %+v\n", struct{ K security.Key }{k}, []security.Key{k})
	out := buf.String()
	for _, secret := range []string{k.Encode(), "abababab", "ABABABAB", string(raw), "171, 171"} {
		if strings.Contains(out, secret) {
			t.Fatalf("output reveals the key (%q):\n%s", secret, out)
		}
	}
	if !strings.Contains(out, k.Fingerprint()) {
		t.Fatalf("output lacks the fingerprint:\n%s", out)
	}
}

func TestKeyring(t *testing.T) {
	k1, k2, k3 := mustKey(t, 16), mustKey(t, 24), mustKey(t, 32)
	if _, err := security.NewKeyring(security.Key{}); !errors.Is(err, security.ErrKeySize) {
		t.Fatalf("NewKeyring(zero key): %v", err)
	}
	r := ring(t, k1)
	if err := r.Install(k2); err != nil {
		t.Fatal(err)
	}
	r.Install(k2)
	if err := r.Install(security.Key{}); err == nil {
		t.Fatal("Install(zero key) succeeded")
	}
	eq := func(got []security.Key, want ...security.Key) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("Keys() = %v, want %v", got, want)
		}
		for i := range got {
			if !got[i].Equal(want[i]) {
				t.Fatalf("Keys() = %v, want %v", got, want)
			}
		}
	}
	eq(r.Keys(), k1, k2)
	if err := r.UseKey(k3); !errors.Is(err, security.ErrNoKey) {
		t.Fatalf("UseKey(missing): %v", err)
	}
	if err := r.UseKey(k2); err != nil {
		t.Fatal(err)
	}
	eq(r.Keys(), k2, k1)
	if !r.Primary().Equal(k2) {
		t.Fatal("Primary is not k2")
	}
	if err := r.Remove(k2); !errors.Is(err, security.ErrPrimaryKey) {
		t.Fatalf("Remove(primary): %v", err)
	}
	if err := r.Remove(k3); !errors.Is(err, security.ErrNoKey) {
		t.Fatalf("Remove(missing): %v", err)
	}
	if err := r.Remove(k1); err != nil {
		t.Fatal(err)
	}
	eq(r.Keys(), k2)
	if !(&security.Keyring{}).Primary().Equal(security.Key{}) {
		t.Fatal("empty keyring has a primary")
	}
}

func TestWrapErrors(t *testing.T) {
	if _, err := security.Wrap(hybrid.New("127.0.0.1:0"), security.WithLabel(strings.Repeat("x", 256))); !errors.Is(err, security.ErrLabel) {
		t.Fatalf("long label: %v", err)
	}
	for _, opt := range []security.Option{security.WithKeyring(nil), security.WithTLS(nil)} {
		if _, err := security.Wrap(hybrid.New("127.0.0.1:0"), opt); !errors.Is(err, security.ErrOption) {
			t.Fatalf("nil keyring or TLS config: %v, want ErrOption", err)
		}
		if _, err := security.Middleware(opt); !errors.Is(err, security.ErrOption) {
			t.Fatalf("Middleware with a nil keyring or TLS config: %v, want ErrOption", err)
		}
	}
	if _, err := security.Middleware(security.WithLabel(strings.Repeat("x", 256))); !errors.Is(err, security.ErrLabel) {
		t.Fatalf("Middleware with a long label: %v", err)
	}
	tr := wrap(t, security.WithKeyring(&security.Keyring{}))
	tr.Close()
	if err := tr.Start(context.Background(), gossiptest.NewSink()); !errors.Is(err, security.ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	if tr.PacketSize() != transport.DefaultPacketSize-security.Overhead {
		t.Fatalf("PacketSize %d", tr.PacketSize())
	}
}

func TestEmptyKeyring(t *testing.T) {
	gossiptest.Check(t)
	a, _ := started(t, security.WithKeyring(&security.Keyring{}))
	b, _ := started(t)
	if err := a.WritePacket(context.Background(), b.Addr(), []byte("x")); !errors.Is(err, security.ErrNoKey) {
		t.Fatalf("WritePacket with no key: %v", err)
	}
	if _, err := a.DialStream(context.Background(), b.Addr()); !errors.Is(err, security.ErrNoKey) {
		t.Fatalf("DialStream with no key: %v", err)
	}
}

// TestRefused: a peer with another key or label is refused and counted, on
// packets and on streams.
func TestRefused(t *testing.T) {
	k1, k2 := mustKey(t, 32), mustKey(t, 32)
	certs, other := newCerts(t), newCerts(t)
	for _, tc := range []struct {
		name   string
		a, b   []security.Option
		stream bool
	}{
		{"wrong key", []security.Option{security.WithKeyring(ring(t, k1))}, []security.Option{security.WithKeyring(ring(t, k2))}, true},
		{"wrong label", []security.Option{security.WithLabel("a")}, []security.Option{security.WithLabel("b")}, true},
		{"label vs none", nil, []security.Option{security.WithLabel("b")}, true},
		{"key same, label differs", []security.Option{security.WithKeyring(ring(t, k1)), security.WithLabel("a")},
			[]security.Option{security.WithKeyring(ring(t, k1)), security.WithLabel("b")}, true},
		{"plain vs key", nil, []security.Option{security.WithKeyring(ring(t, k1))}, true},
		{"tls other ca", []security.Option{security.WithTLS(other.config(t, true))}, []security.Option{security.WithTLS(certs.config(t, true))}, false},
		{"tls no client cert", []security.Option{security.WithTLS(certs.config(t, false))}, []security.Option{security.WithTLS(certs.config(t, true))}, false},
		{"tls wrong label", []security.Option{security.WithTLS(certs.config(t, true)), security.WithLabel("a")},
			[]security.Option{security.WithTLS(certs.config(t, true)), security.WithLabel("b")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gossiptest.Check(t)
			a, _ := started(t, tc.a...)
			b, sb := started(t, tc.b...)
			ctx := context.Background()
			a.WritePacket(ctx, b.Addr(), []byte("hello"))
			// TLS covers streams only; packets are refused by key or label.
			packets := !strings.HasPrefix(tc.name, "tls") || strings.Contains(tc.name, "label")
			if packets {
				gossiptest.Eventually(t, "an auth drop of the packet", func() bool { return b.Stats().Dropped(stats.Auth) >= 1 })
			}
			before := b.Stats().Dropped(stats.Auth)
			c, err := a.DialStream(ctx, b.Addr())
			if err == nil {
				frame.Write(c, []byte("hello"))
				c.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
				c.Read(make([]byte, 1)) // until refused
				c.Close()
			}
			gossiptest.Eventually(t, "an auth drop of the stream", func() bool { return b.Stats().Dropped(stats.Auth) > before })
			select {
			case s := <-sb.Streams():
				t.Fatalf("refused stream delivered from %s", s.RemoteAddr())
			case p := <-sb.Packets():
				if packets {
					t.Fatalf("refused packet delivered: %q", p.Data)
				}
			default:
			}
		})
	}
}

// TestRotation rotates keys between two live transports with packets and
// streams flowing at every step.
func TestRotation(t *testing.T) {
	gossiptest.Check(t)
	k1, k2 := mustKey(t, 32), mustKey(t, 16)
	ra, rb := ring(t, k1), ring(t, k1)
	a, sa := started(t, security.WithKeyring(ra), security.WithLabel("c"))
	b, sb := started(t, security.WithKeyring(rb), security.WithLabel("c"))
	check := func(step string) {
		t.Helper()
		for _, d := range []struct {
			src, dst *security.Transport
			sink     *gossiptest.Sink
		}{{a, b, sb}, {b, a, sa}} {
			if err := d.src.WritePacket(context.Background(), d.dst.Addr(), []byte(step)); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if p := gossiptest.Recv(t, d.sink); string(p.Data) != step {
				t.Fatalf("%s: got %q", step, p.Data)
			}
			c, err := d.src.DialStream(context.Background(), d.dst.Addr())
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			frame.Write(c, []byte(step))
			s := gossiptest.Accept(t, d.sink)
			got, err := frame.Read(s, 1<<20)
			if err != nil || string(got) != step {
				t.Fatalf("%s: stream got %q, %v", step, got, err)
			}
			frame.Write(s, []byte("re:"+step))
			if got, err := frame.Read(c, 1<<20); err != nil || string(got) != "re:"+step {
				t.Fatalf("%s: reply %q, %v", step, got, err)
			}
			s.Close()
			c.Close()
		}
	}
	check("start")
	ra.Install(k2)
	rb.Install(k2)
	check("installed")
	ra.UseKey(k2)
	check("a uses k2")
	rb.UseKey(k2)
	check("both use k2")
	ra.Remove(k1)
	rb.Remove(k1)
	check("k1 removed")
	if n := a.Stats().Dropped(stats.Auth) + b.Stats().Dropped(stats.Auth); n != 0 {
		t.Fatalf("%d auth drops during rotation", n)
	}
}

// TestHostilePackets sends replayed, tampered, truncated and garbage packets
// straight at the socket.
func TestHostilePackets(t *testing.T) {
	gossiptest.Check(t)
	k := mustKey(t, 32)
	b, sb := started(t, security.WithKeyring(ring(t, k)), security.WithLabel("c"))
	// Capture a sealed packet with a raw socket posing as b.
	sniff, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sniff.Close()
	a, _ := started(t, security.WithKeyring(ring(t, k)), security.WithLabel("c"))
	if err := a.WritePacket(context.Background(), sniff.LocalAddr().String(), []byte("once")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	sniff.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
	n, _, err := sniff.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	sealed := buf[:n]
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	send := func(p []byte) {
		if _, err := sniff.WriteTo(p, mustAddr(t, b.Addr())); err != nil {
			t.Fatal(err)
		}
	}
	send(sealed)
	if p := gossiptest.Recv(t, sb); string(p.Data) != "once" {
		t.Fatalf("got %q", p.Data)
	}
	send(sealed)                                            // replay
	send(tampered)                                          // tampered
	send(sealed[:security.Overhead-1])                      // truncated
	send([]byte("garbage garbage garbage garbage garbage")) // garbage
	gossiptest.Eventually(t, "drops", func() bool {
		s := b.Stats()
		return s.Dropped(stats.Replay) == 1 && s.Dropped(stats.Auth) == 3
	})
	// Still works.
	a.WritePacket(context.Background(), b.Addr(), []byte("twice"))
	if p := gossiptest.Recv(t, sb); string(p.Data) != "twice" {
		t.Fatalf("got %q", p.Data)
	}
}

// TestHostileStreams opens streams that never finish their hello or send
// garbage records; each is refused within the handshake timeout.
func TestHostileStreams(t *testing.T) {
	gossiptest.Check(t)
	k := mustKey(t, 32)
	b, _ := started(t, security.WithKeyring(ring(t, k)), security.WithHandshakeTimeout(200*time.Millisecond))
	for _, payload := range [][]byte{
		nil,                         // silent
		{0, 0, 0, 5, 1, 2, 3, 4, 5}, // record too short
		{0xff, 0xff, 0xff, 0xff},    // record too long
		{0, 0, 0, 40, 1, 2, 3},      // truncated record
		append([]byte{0, 0, 0, 28}, make([]byte, 28)...), // forged record
	} {
		raw, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(append([]byte{'S'}, payload...))
		raw.SetReadDeadline(time.Now().Add(gossiptest.Timeout))
		if _, err := raw.Read(make([]byte, 1)); err == nil {
			t.Fatal("hostile stream got data")
		}
		raw.Close()
	}
	gossiptest.Eventually(t, "5 auth drops", func() bool { return b.Stats().Dropped(stats.Auth) == 5 })
}

// TestCloseDuringHandshake closes a transport while a stream is stuck in
// its hello.
func TestCloseDuringHandshake(t *testing.T) {
	gossiptest.Check(t)
	b := wrap(t, security.WithLabel("x"))
	if err := b.Start(context.Background(), gossiptest.NewSink()); err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write([]byte{'S'})
	gossiptest.Eventually(t, "the stream accepted", func() bool { return b.Stats().StreamsIn == 1 })
	b.Close()
}

func TestLargeStreamWrites(t *testing.T) {
	gossiptest.Check(t)
	k := mustKey(t, 24)
	a, _ := started(t, security.WithKeyring(ring(t, k)))
	b, sb := started(t, security.WithKeyring(ring(t, k)))
	c, err := a.DialStream(context.Background(), b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := bytes.Repeat([]byte("0123456789"), 20000)
	go frame.Write(c, big)
	s := gossiptest.Accept(t, sb)
	defer s.Close()
	got, err := frame.Read(s, 1<<20)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if n, err := c.Write(nil); n != 0 || err != nil {
		t.Fatalf("empty write: %d, %v", n, err)
	}
}

func TestOversize(t *testing.T) {
	gossiptest.Check(t)
	a, _ := started(t, security.WithLabel("abc"))
	if err := a.WritePacket(context.Background(), "127.0.0.1:1", make([]byte, a.PacketSize()+1)); err == nil {
		t.Fatal("oversize write succeeded")
	}
	if a.Stats().Dropped(stats.Oversize) != 1 {
		t.Fatal("oversize not counted")
	}
}

func mustAddr(t testing.TB, s string) net.Addr {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type certs struct {
	ca     *x509.CertPool
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	leaf   tls.Certificate
}

func newCerts(t testing.TB) *certs {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "member"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return &certs{ca: pool, caCert: caCert, caKey: caKey,
		leaf: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}}
}

func (c *certs) config(t testing.TB, withCert bool) *tls.Config {
	cfg := security.MutualTLS(c.leaf, c.ca)
	if !withCert {
		cfg.Certificates = nil
	}
	return cfg
}
