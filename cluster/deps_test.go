package cluster_test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/libgossip/libgossip/"

// ours reports the libgossip modules the cluster module may import
// (DESIGN.md: gossip, net, utils, and itself).
func ours(p string) bool {
	for _, m := range []string{"cluster", "gossip", "net", "utils"} {
		if p == mod+m || strings.HasPrefix(p, mod+m+"/") {
			return true
		}
	}
	return false
}

// otelAPI reports the OpenTelemetry API (never the SDK or exporters).
func otelAPI(p string) bool {
	return strings.HasPrefix(p, "go.opentelemetry.io/otel") &&
		!strings.HasPrefix(p, "go.opentelemetry.io/otel/sdk") && !strings.HasPrefix(p, "go.opentelemetry.io/otel/exporters")
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	return strings.Fields(string(out))
}

// TestDependencies holds the module to DESIGN.md: outside cluster/raft,
// only the standard library, our modules (gossip, net, utils and their
// own dependencies) and the OTel API; under cluster/raft, also
// hashicorp/raft, raft-boltdb and what they import. No production
// package imports testing.
func TestDependencies(t *testing.T) {
	// What our lower modules bring along (x/time for net's limits, ...)
	// is allowed: they are held to their own dependency tests.
	lower := map[string]bool{}
	for _, p := range goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		mod+"gossip/...", mod+"net/...", mod+"utils/...") {
		lower[p] = true
	}
	// What the OTel API itself imports: the global providers of
	// go.opentelemetry.io/otel bring go-logr (its error logger) and
	// go.opentelemetry.io/auto/sdk (the hook for auto-instrumentation).
	// Neither is the SDK; otelAPI still refuses otel/sdk and exporters.
	for _, p := range goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"go.opentelemetry.io/otel", "go.opentelemetry.io/otel/metric", "go.opentelemetry.io/otel/trace",
		"go.opentelemetry.io/otel/propagation") {
		if !strings.HasPrefix(p, "go.opentelemetry.io/otel/sdk") && !strings.HasPrefix(p, "go.opentelemetry.io/otel/exporters") {
			lower[p] = true
		}
	}
	// hashicorp/raft, raft-boltdb and their own imports (empty until
	// the module requires them).
	raftDeps := map[string]bool{}
	for _, root := range []string{"github.com/hashicorp/raft", "github.com/hashicorp/raft-boltdb/v2"} {
		for _, p := range goListQuiet("-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", root) {
			raftDeps[p] = true
		}
	}
	for _, pkg := range goList(t, "./...") {
		underRaft := strings.HasPrefix(pkg, mod+"cluster/raft")
		for _, d := range goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg) {
			switch {
			case ours(d), lower[d], otelAPI(d):
			case underRaft && raftDeps[d]:
			default:
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
	for _, line := range goList(t, "-f", "{{.ImportPath}}:{{join .Imports \",\"}}", "./...") {
		pkg, imps, _ := strings.Cut(line, ":")
		if strings.HasSuffix(pkg, "test") {
			continue
		}
		for _, imp := range strings.Split(imps, ",") {
			if imp == "testing" {
				t.Errorf("production package %s imports testing", pkg)
			}
		}
	}
}

func goListQuiet(args ...string) []string {
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}
