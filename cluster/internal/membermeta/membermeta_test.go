package membermeta_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/libgossip/libgossip/cluster/clustertest"
	"github.com/libgossip/libgossip/cluster/internal/membermeta"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

// TestConcurrentKeys: services setting their own keys at once never lose
// each other's.
func TestConcurrentKeys(t *testing.T) {
	c := clustertest.Memnet(t, 1, nil)
	n := c.Nodes[0]
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := membermeta.Set(n, string(rune('a'+i)), "v"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := len(n.LocalNode().Meta); got != 20 {
		t.Errorf("%d keys survive, want 20", got)
	}
	if err := membermeta.Set(n, "a", "v"); err != nil { // unchanged: no-op
		t.Error(err)
	}
	if err := membermeta.Set(n, "a", ""); err != nil || n.LocalNode().Meta["a"] != "" {
		t.Errorf("delete: %v", err)
	}
	if err := membermeta.Set(n, "big", strings.Repeat("x", 4096)); err == nil {
		t.Error("oversized metadata accepted")
	}
	if _, ok := n.LocalNode().Meta["big"]; ok {
		t.Error("a refused update changed the metadata")
	}
}
