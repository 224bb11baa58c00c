package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestSeedCluster(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-seeds", "2", "-nodes", "5"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"seeds: [", "node-5 joined through the seeds", "all 5 nodes know all 5 members",
		"node-5 sees: node-3 node-4 node-5 seed-1 seed-2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSeedClusterBadFlags(t *testing.T) {
	if err := run([]string{"-seeds", "3", "-nodes", "3"}, &bytes.Buffer{}); err == nil {
		t.Error("run with no non-seed node succeeded, want an error")
	}
}
