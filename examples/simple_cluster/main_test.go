package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestSimpleCluster(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-nodes", "3"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"full mesh of 3 nodes formed", "node-1 sees: node-1(alive) node-2(alive) node-3(alive)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSimpleClusterBadFlag(t *testing.T) {
	if err := run([]string{"-nodes", "1"}, &bytes.Buffer{}); err == nil {
		t.Error("run with 1 node succeeded, want an error")
	}
}
