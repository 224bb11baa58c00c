package gossiptest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ignorable marks stacks of goroutines that belong to the runtime or the
// testing package, not to the code under test.
var ignorable = []string{
	"testing.tRunner",
	"testing.(*M).",
	"testing.runTests",
	"testing.runFuzz",
	"testing.(*F).",
	"os/signal.",
	"signal.signal_recv",
	"runtime.ensureSigM",
	"runtime/trace.",
}

// Leaked returns the stacks of goroutines other than the caller's and the
// test framework's.
func Leaked() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 { // the caller
			continue
		}
		if interesting(g) {
			out = append(out, g)
		}
	}
	return out
}

func interesting(stack string) bool {
	for _, s := range ignorable {
		if strings.Contains(stack, s) {
			return false
		}
	}
	return true
}

// VerifyNone runs the tests of m and then fails the binary if goroutines
// started by the code under test are still running after a grace period
// (polled, not slept). Use it from TestMain:
//
//	func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }
func VerifyNone(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if left := waitLeaks(5 * time.Second); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "gossiptest: %d goroutine(s) leaked:\n\n%s\n", len(left), strings.Join(left, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Check registers a cleanup on t that fails it if goroutines started during
// the test are still running at its end (after a grace period).
func Check(t testing.TB) {
	t.Helper()
	before := map[string]bool{}
	for _, g := range Leaked() {
		before[firstLine(g)] = true
	}
	t.Cleanup(func() {
		var left []string
		deadline := time.Now().Add(5 * time.Second)
		for {
			left = left[:0]
			for _, g := range Leaked() {
				if !before[firstLine(g)] {
					left = append(left, g)
				}
			}
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
			time.Sleep(10 * time.Millisecond) // polling interval, not a wait for a condition
		}
		if len(left) > 0 {
			t.Errorf("%d goroutine(s) leaked:\n\n%s", len(left), strings.Join(left, "\n\n"))
		}
	})
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func waitLeaks(d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		left := Leaked()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
