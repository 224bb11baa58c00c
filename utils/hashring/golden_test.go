package hashring

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

// goldenOutput renders placements of a fixed member set and fixed keys. The
// file pins them, so they are the same on every machine and release; a
// change to this output is a breaking change for every user that persists
// placements.
func goldenOutput(t *testing.T) []byte {
	var buf bytes.Buffer
	ids := memberIDs(10)

	r := newRing(t, Config{})
	addAll(t, r, ids)
	if err := r.AddWeighted("heavy", 2.5); err != nil {
		t.Fatal(err)
	}
	hr := NewRendezvous()
	addAll(t, hr, ids)
	b, err := NewBounded(BoundedConfig{Epsilon: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, b, ids[:4])

	for i := range 40 {
		k := keyName(i)
		rn, _ := r.GetN(k, 3)
		hn, _ := hr.GetN(k, 3)
		bm, _ := b.Assign(k)
		j10, _ := JumpString(k, 10)
		j1000, _ := JumpString(k, 1000)
		fmt.Fprintf(&buf, "%s hash=%016x ring=%s rendezvous=%s bounded=%s jump10=%d jump1000=%d\n",
			k, HashKey(k), strings.Join(rn, ","), strings.Join(hn, ","), bm, j10, j1000)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "golden.txt")
	got := goldenOutput(t)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("placement changed at line %d:\n got  %s\n want %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("placement changed: got %d lines, want %d", len(gl), len(wl))
	}
}
