package net_test

// Regression tests of the gossip runtime (gossip.Node) over real loopback
// sockets, for the defects of the runtime issue that only show with a real
// network stack. They live here because the gossip module may not import
// net.

import (
	"context"
	"errors"
	"fmt"
	stdnet "net"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/codec"
	"github.com/libgossip/libgossip/net/security"
)

// runtimeMember starts a Node on uri with node options nopts.
func runtimeMember(t *testing.T, id, uri string, topts []lgnet.Option, nopts ...gossip.Option) *member {
	t.Helper()
	tr, err := lgnet.New(uri, append([]lgnet.Option{lgnet.WithLogger(quiet)}, topts...)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := gossip.LocalConfig()
	cfg.ID = id
	n, err := gossip.New(cfg, tr, append([]gossip.Option{gossip.WithLogger(quiet)}, nopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	return &member{node: n, tr: tr, id: id}
}

// silentService is a TCP listener on loopback that accepts connections and
// never reads or answers them: some other service on the seed's port.
func silentService(t *testing.T) string {
	t.Helper()
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []stdnet.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func key(t *testing.T) *security.Keyring {
	t.Helper()
	k, err := security.GenerateKey(32)
	if err != nil {
		t.Fatal(err)
	}
	r, err := security.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRuntimeJoinReturnsInTime covers defect 8: Join with a context that
// never ends returns within the join timeout, with an error wrapping
// ErrJoin and naming the cause, when the seed accepts the stream but never
// answers.
func TestRuntimeJoinReturnsInTime(t *testing.T) {
	gossiptest.Check(t)
	const joinTimeout = time.Second
	seedKey := key(t)
	seed := runtimeMember(t, "seed", "hybrid://127.0.0.1:0", []lgnet.Option{lgnet.WithKeyring(seedKey), lgnet.WithLabel("prod")})
	cases := []struct {
		name  string
		seed  string
		topts []lgnet.Option
		want  []error // any one of them
	}{
		{"another TCP service", silentService(t), nil, []error{gossip.ErrJoinTimeout}},
		{"wrong key", seed.tr.Addr(), []lgnet.Option{lgnet.WithKeyring(key(t)), lgnet.WithLabel("prod")},
			[]error{gossip.ErrJoinRefused, gossip.ErrJoinTimeout, gossip.ErrAuth}},
		{"wrong label", seed.tr.Addr(), []lgnet.Option{lgnet.WithKeyring(seedKey), lgnet.WithLabel("test")},
			[]error{gossip.ErrJoinRefused, gossip.ErrJoinTimeout, gossip.ErrLabel}},
		{"no key", seed.tr.Addr(), nil, []error{gossip.ErrJoinRefused, gossip.ErrJoinTimeout}},
		{"own address", "self", nil, []error{gossip.ErrJoinSelf}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := runtimeMember(t, fmt.Sprintf("j%d", i), "hybrid://127.0.0.1:0", tc.topts, gossip.WithJoinTimeout(joinTimeout))
			seedAddr := tc.seed
			switch seedAddr {
			case "self":
				seedAddr = m.tr.Addr()
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- m.node.Join(context.Background(), seedAddr) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Join(context.Background()) still running after 30s")
			}
			took := time.Since(start)
			t.Logf("after %v: %v", took, err)
			if !errors.Is(err, gossip.ErrJoin) {
				t.Fatalf("Join: got %v, want an error wrapping ErrJoin", err)
			}
			named := false
			for _, w := range tc.want {
				named = named || errors.Is(err, w)
			}
			if !named {
				t.Errorf("Join: got %v, want one of %v", err, tc.want)
			}
			if took > 10*joinTimeout {
				t.Errorf("Join took %v, join timeout %v", took, joinTimeout)
			}
		})
	}
	// The right key and label still join.
	ok := runtimeMember(t, "ok", "hybrid://127.0.0.1:0", []lgnet.Option{lgnet.WithKeyring(seedKey), lgnet.WithLabel("prod")})
	if err := ok.node.Join(context.Background(), seed.tr.Addr()); err != nil {
		t.Fatalf("Join with the right key and label: %v", err)
	}
}

// TestRuntimeJSONCodecFitsPackets covers defect 17: twelve members on the
// JSON codec over UDP loopback form a cluster without a single send error,
// although JSON packets are larger than the binary ones the core sizes.
func TestRuntimeJSONCodecFitsPackets(t *testing.T) {
	gossiptest.Check(t)
	js, err := codec.Lookup("json")
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]*member, 12)
	for i := range ms {
		ms[i] = runtimeMember(t, fmt.Sprintf("n%02d", i), "hybrid://127.0.0.1:0", nil, gossip.WithCodec(js))
		if err := ms[i].node.SetMeta(map[string]string{"role": "cache", "zone": "eu-west-1a", "version": "1.2.3"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms[1:] {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := m.node.Join(ctx, ms[0].tr.Addr())
		cancel()
		if err != nil {
			t.Fatalf("%s: Join: %v", m.id, err)
		}
	}
	waitAll(t, ms, "12 alive everywhere", func(m *member) bool { return countState(m.node, gossip.StateAlive) == 12 })
	var oversize uint64
	for _, m := range ms {
		st := m.node.Stats()
		oversize += st.Oversize
		if st.SendErrors != 0 {
			t.Errorf("%s: %d send errors", m.id, st.SendErrors)
		}
	}
	t.Logf("packets split or sent over streams: %d", oversize)
}
