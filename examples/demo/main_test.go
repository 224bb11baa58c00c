package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	for _, tr := range []string{"hybrid", "memnet"} {
		t.Run(tr, func(t *testing.T) { demo(t, tr) })
	}
}

func demo(t *testing.T, tr string) {
	var out bytes.Buffer
	if err := run([]string{"-nodes", "4", "-transport", tr}, &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"cluster formed", "declared node-4 failed", "role=leader on node-2", "node-3 as left", "summary:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
