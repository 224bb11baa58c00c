package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// memberlistStacks are goroutines hashicorp/memberlist v0.7.0 leaves
// running after Shutdown (for example its go-metrics sink). They are not
// ours, so the leak check ignores them; everything else must exit.
var memberlistStacks = []string{
	"github.com/hashicorp/go-metrics.",
	"github.com/hashicorp/memberlist.",
}

func leaked() []string {
	var out []string
	for _, g := range gossiptest.Leaked() {
		if !strings.Contains(g, "/bench") && containsAny(g, memberlistStacks) {
			continue
		}
		out = append(out, g)
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// TestMain is gossiptest.VerifyNone with memberlist's own leftovers
// filtered out.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		left := leaked()
		for len(left) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond) // polling interval
			left = leaked()
		}
		if len(left) > 0 {
			fmt.Fprintf(os.Stderr, "bench: %d goroutine(s) leaked:\n\n%s\n", len(left), strings.Join(left, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}
