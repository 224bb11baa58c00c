package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Check records the running goroutines and registers a cleanup that fails
// t if goroutines started since are still running 5 seconds after the test
// ends. Call it first in a test, before anything registers its own cleanup,
// so it runs last.
func Check(t testing.TB) {
	t.Helper()
	before := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			leaked := leaks(before)
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("leaked %d goroutine(s):\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			<-tick.C
		}
	})
}

func leaks(before map[string]string) []string {
	var out []string
	for id, stack := range goroutines() {
		if _, ok := before[id]; !ok && !benign(stack) {
			out = append(out, stack)
		}
	}
	return out
}

func benign(stack string) bool {
	for _, s := range []string{
		"testing.(*T).Run", "testing.tRunner", "testing.runTests", "testing.(*M).",
		"runtime.goexit0", "os/signal.signal_recv", "runtime.ensureSigM",
		"created by runtime.gc", "runtime.MHeap_Scavenger",
	} {
		if strings.Contains(stack, s) && !strings.Contains(stack, "libgossip") {
			return true
		}
	}
	return false
}

// goroutines maps goroutine ids to stacks, leaving out the caller's.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	m := map[string]string{}
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // this goroutine
		}
		header, _, _ := strings.Cut(g, "\n")
		id, _, _ := strings.Cut(strings.TrimPrefix(header, "goroutine "), " ")
		m[id] = g
	}
	return m
}
