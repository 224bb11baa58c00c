package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestConfigSync(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"three members formed",
		"node-b and node-c see app/color=blue",
		"node-b put app/limit=100 while node-c was offline",
		"node-c rejoined from its snapshot and caught up: app/color=blue app/limit=100",
		"all three stores identical",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run([]string{"x"}, &out); err == nil {
		t.Error("run with an argument succeeded")
	}
}
