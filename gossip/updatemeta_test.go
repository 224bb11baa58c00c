package gossip_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// TestUpdateMetaConcurrent has several writers, each owning one key, change
// the metadata at once: every key survives, which a LocalNode-then-SetMeta
// cycle per writer does not guarantee.
func TestUpdateMetaConcurrent(t *testing.T) {
	gossiptest.Check(t)
	n := startNode(t, memnet.New(1), "a")
	const writers, rounds = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("k%d", w)
			for r := range rounds {
				err := n.UpdateMeta(func(m map[string]string) error {
					m[key] = fmt.Sprint(r)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	meta := n.LocalNode().Meta
	for w := range writers {
		if got := meta[fmt.Sprintf("k%d", w)]; got != fmt.Sprint(rounds-1) {
			t.Errorf("k%d = %q, want %d (meta %v)", w, got, rounds-1, meta)
		}
	}
}

// TestUpdateMetaErrors: fn's error and an oversize result leave the
// metadata as it was.
func TestUpdateMetaErrors(t *testing.T) {
	gossiptest.Check(t)
	n := startNode(t, memnet.New(1), "a")
	if err := n.SetMeta(map[string]string{"role": "db"}); err != nil {
		t.Fatal(err)
	}
	inc := n.LocalNode().Incarnation
	refused := errors.New("refused")
	err := n.UpdateMeta(func(m map[string]string) error {
		m["role"] = "web"
		return refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("fn's error: got %v", err)
	}
	err = n.UpdateMeta(func(m map[string]string) error {
		m["big"] = string(make([]byte, 2000))
		return nil
	})
	if !errors.Is(err, gossip.ErrMetaTooLarge) {
		t.Errorf("oversize: got %v, want ErrMetaTooLarge", err)
	}
	if v := n.LocalNode(); len(v.Meta) != 1 || v.Meta["role"] != "db" || v.Incarnation != inc {
		t.Errorf("after refused updates: %+v (incarnation was %d)", v, inc)
	}
	if err := n.UpdateMeta(func(m map[string]string) error { delete(m, "role"); return nil }); err != nil {
		t.Fatal(err)
	}
	if v := n.LocalNode(); len(v.Meta) != 0 {
		t.Errorf("after delete: %v", v.Meta)
	}
	if err := n.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := n.UpdateMeta(func(map[string]string) error { return nil }); !errors.Is(err, gossip.ErrShutdown) {
		t.Errorf("after Shutdown: got %v, want ErrShutdown", err)
	}
}
