package wire

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// TestCorpus keeps the committed seed corpus in step with samples(): run
// with -write-corpus to rewrite it; otherwise it checks that it exists.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodePacket")
	inputs := [][]byte{Encode(samples()...), {Version}, {}, {Version, 200, 0}}
	for _, m := range samples() {
		inputs = append(inputs, Encode(m))
	}
	if *writeCorpus {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, in := range inputs {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", in)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < len(inputs) {
		t.Fatalf("seed corpus in %s has %d files, want at least %d (run go test -run TestCorpus -write-corpus): %v", dir, len(ents), len(inputs), err)
	}
}
