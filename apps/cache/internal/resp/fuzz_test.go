package resp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tidwall/redcon"
)

// FuzzGuard: the guard never panics, and whatever it lets through in one
// piece redcon parses into commands within the limits.
func FuzzGuard(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	f.Add([]byte("PING\r\n"))
	f.Add([]byte("*1\r\n$99999999999\r\n"))
	f.Add([]byte("*0\r\n*1\r\n$4\r\nPING\r\n"))
	lim := Limits{MaxArgs: 8, MaxBulk: 64, MaxQuery: 256, MaxInline: 128}.WithDefaults()
	f.Fuzz(func(t *testing.T, b []byte) {
		g := guard{lim: lim}
		err := g.feed(b)
		// Fed a byte at a time (every header read the general way, none
		// whole in one piece), the guard reaches the same verdict and
		// state.
		g1 := guard{lim: lim}
		var err1 error
		for i := range b {
			if err1 = g1.feed(b[i : i+1]); err1 != nil {
				break
			}
		}
		if fmt.Sprint(err) != fmt.Sprint(err1) {
			t.Fatalf("on %q: whole %v, bytewise %v", b, err, err1)
		}
		if err != nil {
			return
		}
		if g.state != g1.state || g.args != g1.args || g.body != g1.body || g.query != g1.query || g.n != g1.n {
			t.Fatalf("on %q: whole and bytewise feeding end in different states", b)
		}
		// Fed in two pieces, the guard reaches the same verdict.
		g2 := guard{lim: lim}
		half := len(b) / 2
		if g2.feed(b[:half]) != nil || g2.feed(b[half:]) != nil || g2.state != g.state {
			t.Fatalf("split feeding disagrees on %q", b)
		}
		rd := redcon.NewReader(bytes.NewReader(b))
		for {
			cmd, err := rd.ReadCommand()
			if err != nil {
				return
			}
			// An inline command is bounded by MaxInline instead.
			if len(cmd.Args) > max(lim.MaxArgs, lim.MaxInline) {
				t.Fatalf("%d arguments passed a bound of %d", len(cmd.Args), lim.MaxArgs)
			}
			for _, a := range cmd.Args {
				if len(a) > max(lim.MaxBulk, lim.MaxInline) {
					t.Fatalf("a %d-byte argument passed a bound of %d", len(a), lim.MaxBulk)
				}
			}
		}
	})
}
