package hashring

import (
	"os/exec"
	"strings"
	"testing"
)

// TestModuleDeps asserts that the whole utils module, tests included, depends
// only on the standard library, xxhash and x/time: in particular never on
// gossip or any other libgossip module.
func TestModuleDeps(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-test",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...")
	cmd.Dir = ".." // the module root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := []string{
		"github.com/libgossip/libgossip/utils/",
		"github.com/cespare/xxhash/v2",
		"golang.org/x/time/",
	}
	seen := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		path, _, _ := strings.Cut(line, " ") // "pkg [pkg.test]" variants
		if path == "" {
			continue
		}
		seen++
		ok := false
		for _, a := range allowed {
			if path == strings.TrimSuffix(a, "/") || strings.HasPrefix(path, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("utils depends on %s; allowed: stdlib, %v", path, allowed)
		}
	}
	if seen == 0 {
		t.Fatal("go list listed no packages")
	}
}
