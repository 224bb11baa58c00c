package monitoring_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sdkOnly are the import path prefixes only monitoring, apps, examples and
// bench may depend on: the OpenTelemetry SDK and exporters and what they
// bring (DESIGN.md, STYLE.md §2). Library modules use the OTel API at most.
var sdkOnly = []string{
	"go.opentelemetry.io/otel/sdk",
	"go.opentelemetry.io/otel/exporters",
	"go.opentelemetry.io/proto",
	"github.com/prometheus/",
	"google.golang.org/grpc",
	"github.com/chromedp/",
}

// TestLibrariesStaySDKFree lists every dependency (tests included) of the
// library modules in the workspace and fails on any SDK or exporter package.
func TestLibrariesStaySDKFree(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	for _, mod := range []string{"gossip", "net", "utils", "cluster"} {
		dir := filepath.Join("..", mod)
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			t.Errorf("module %s not found at %s", mod, dir)
			continue
		}
		cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list in %s: %v\n%s", mod, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Errorf("go list found no package in %s", mod)
		}
		for _, p := range deps {
			for _, bad := range sdkOnly {
				if strings.HasPrefix(p, bad) {
					t.Errorf("library module %s depends on %s", mod, p)
				}
			}
		}
	}
}

// TestMonitoringImports keeps monitoring's own production code off the
// cluster layer (it defines Checker instead) and off test-only packages.
func TestMonitoringImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/libgossip/libgossip/cluster") || strings.HasPrefix(p, "github.com/libgossip/libgossip/apps") ||
			strings.HasPrefix(p, "github.com/chromedp/") {
			t.Errorf("monitoring depends on %s", p)
		}
	}
	out, err = exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "testing" {
			t.Error("a production package of monitoring imports testing")
		}
	}
}
