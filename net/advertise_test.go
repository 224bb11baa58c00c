package net_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	lgnet "github.com/libgossip/libgossip/net"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWildcardBindAdvertisesIPv4 (defect 9): a member bound to 0.0.0.0,
// the README's quick start, advertises an IPv4 address, says so in the
// log, and reports it in Addr and LocalNode.
func TestWildcardBindAdvertisesIPv4(t *testing.T) {
	gossiptest.Check(t)
	for _, uri := range []string{"hybrid://0.0.0.0:0", "udp://0.0.0.0:0", "tcp://0.0.0.0:0"} {
		t.Run(uri, func(t *testing.T) {
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			tr, err := lgnet.New(uri, lgnet.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			cfg := gossip.LocalConfig()
			cfg.ID = "wild"
			n, err := gossip.New(cfg, tr, gossip.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				n.Shutdown(ctx)
			}()
			for what, addr := range map[string]string{"Addr": tr.Addr(), "LocalNode": n.LocalNode().Addr} {
				ap, err := netip.ParseAddrPort(addr)
				if err != nil || !ap.Addr().Is4() {
					t.Errorf("%s = %q, want an IPv4 address", what, addr)
				}
			}
			if !strings.Contains(logs.String(), `advertise_from="interface (IPv4)"`) {
				t.Errorf("the log does not say which address family was advertised:\n%s", logs.String())
			}
		})
	}
}
