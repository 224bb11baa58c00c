package gossip_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds the module to DESIGN.md: the gossip module imports
// nothing outside the standard library, and no production package imports
// testing.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "github.com/libgossip/libgossip/gossip") {
			t.Errorf("gossip depends on %s", p)
		}
	}
	out, err = exec.Command("go", "list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imps, _ := strings.Cut(line, ": ")
		if strings.HasSuffix(pkg, "gossiptest") {
			continue
		}
		for _, imp := range strings.Fields(imps) {
			if imp == "testing" {
				t.Errorf("production package %s imports testing", pkg)
			}
		}
	}
}
