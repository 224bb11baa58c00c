package net_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/security"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
)

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want error
	}{
		{"quic://127.0.0.1:0", lgnet.ErrScheme},
		{"udp://127.0.0.1", transport.ErrAddress},
		{"tcp://127.0.0.1:99999", transport.ErrAddress},
		{"tcp://127.0.0.1:http", transport.ErrAddress},
		{"hybrid://a b:1", transport.ErrAddress},
		{"", transport.ErrAddress},
		// Malformed hosts (defect 14: "[:::1]:0" used to pass).
		{"udp://[:::1]:0", transport.ErrAddress},
		{"hybrid://[::1::]:0", transport.ErrAddress},
		{"udp://256.0.0.1:0", transport.ErrAddress},
		{"udp://1.2.3:0", transport.ErrAddress},
		{"udp://host..name:0", transport.ErrAddress},
		{"udp://-host:0", transport.ErrAddress},
		{"udp://ho/st:0", transport.ErrAddress},
		{"udp://" + strings.Repeat("a", 64) + ":0", transport.ErrAddress},
		{"udp://" + strings.Repeat("a.", 127) + "a:0", transport.ErrAddress},
		{"udp://127.0.0.1:-1", transport.ErrAddress},
		{"udp://[::1]", transport.ErrAddress},
	} {
		if _, err := lgnet.New(tc.uri); !errors.Is(err, tc.want) {
			t.Errorf("New(%q) = %v, want %v", tc.uri, err, tc.want)
		}
	}
	if _, err := lgnet.New("udp://127.0.0.1:0", lgnet.WithLabel(strings.Repeat("x", 300))); !errors.Is(err, security.ErrLabel) {
		t.Errorf("long label: %v", err)
	}
	// Defect 11: a nil keyring or TLS config is refused, not ignored.
	if _, err := lgnet.New("udp://127.0.0.1:0", lgnet.WithKeyring(nil)); !errors.Is(err, security.ErrOption) {
		t.Errorf("WithKeyring(nil): %v, want ErrOption", err)
	}
	if _, err := lgnet.New("tcp://127.0.0.1:0", lgnet.WithTLS(nil)); !errors.Is(err, security.ErrOption) {
		t.Errorf("WithTLS(nil): %v, want ErrOption", err)
	}
}

// TestGoodAddresses: every address form New documents is accepted.
func TestGoodAddresses(t *testing.T) {
	for _, uri := range []string{
		"127.0.0.1:0", "udp://0.0.0.0:7946", "tcp://[::1]:0", "hybrid://[::]:0",
		"hybrid://[fe80::1%eth0]:0", "udp://localhost:0", "tcp://node-1.example.com.:7946",
		"hybrid://:7946", "udp://my_host:0",
	} {
		if _, err := lgnet.New(uri); err != nil {
			t.Errorf("New(%q): %v", uri, err)
		}
	}
}

func TestSchemes(t *testing.T) {
	k, _ := security.GenerateKey(32)
	keys, _ := security.NewKeyring(k)
	for _, uri := range []string{"127.0.0.1:0", "hybrid://127.0.0.1:0", "UDP://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		t.Run(uri, func(t *testing.T) {
			gossiptest.Check(t)
			streams := !strings.HasPrefix(strings.ToLower(uri), "udp")
			opts := []lgnet.Option{
				lgnet.WithKeyring(keys), lgnet.WithLabel("test"), lgnet.WithPacketSize(1200),
				lgnet.WithInboundLimit(rate.Inf, 1000), lgnet.WithOutboundLimit(rate.Inf, 1000),
				lgnet.WithMaxConns(64), lgnet.WithIdleTimeout(time.Minute), lgnet.WithIOTimeout(5 * time.Second),
				lgnet.WithTransportOptions(transport.WithStreamTimeout(time.Minute)), nil,
			}
			gossiptest.RunTransport(t, func(t *testing.T) (gossip.Transport, gossip.Transport) {
				a, err := lgnet.New(uri, opts...)
				if err != nil {
					t.Fatal(err)
				}
				b, err := lgnet.New(uri, append(opts, lgnet.WithCounters(stats.New()))...)
				if err != nil {
					t.Fatal(err)
				}
				if a.PacketSize() != 1200-security.Overhead {
					t.Fatalf("PacketSize %d", a.PacketSize())
				}
				if a.Scheme() == "" {
					t.Fatal("no scheme")
				}
				return a, b
			}, gossiptest.Features{Streams: streams, ExactFrom: true})
		})
	}
}

func TestStatsShared(t *testing.T) {
	gossiptest.Check(t)
	c := stats.New()
	a, _ := lgnet.New("127.0.0.1:0", lgnet.WithLabel("x"), lgnet.WithCounters(c))
	b, _ := lgnet.New("127.0.0.1:0", lgnet.WithLabel("y"))
	for _, tr := range []*lgnet.Transport{a, b} {
		gossiptest.StartTransport(t, tr)
	}
	b.WritePacket(context.Background(), a.Addr(), []byte("hi"))
	gossiptest.Eventually(t, "an auth drop", func() bool { return a.Stats().Dropped(stats.Auth) == 1 })
	if s := c.Snapshot(); s.PacketsIn != 1 || s.BytesIn == 0 {
		t.Fatalf("shared counters %+v", s)
	}
	if b.Stats().PacketsOut != 1 {
		t.Fatalf("sender counters %+v", b.Stats())
	}
}

// TestDependencies keeps net's imports to the stdlib, gossip, utils (and
// what utils needs) and golang.org/x/time (DESIGN.md).
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/libgossip/libgossip/net",
		"github.com/libgossip/libgossip/gossip",
		"github.com/libgossip/libgossip/utils/",
		"golang.org/x/time/",
		"github.com/cespare/xxhash/v2", // through utils/ratelimit
	}
	for _, pkg := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			if pkg == a || strings.HasPrefix(pkg, a+"/") || (strings.HasSuffix(a, "/") && strings.HasPrefix(pkg, a)) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("net depends on %s", pkg)
		}
		if strings.Contains(pkg, "/gossip/") && strings.Contains(pkg, "internal") {
			t.Errorf("net imports gossip's internal package %s", pkg)
		}
	}
	// Production packages never import testing.
	out, err = exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if strings.HasSuffix(f[0], "test") {
			continue
		}
		for _, imp := range f[1:] {
			if imp == "testing" {
				t.Errorf("%s imports testing", f[0])
			}
		}
	}
}
