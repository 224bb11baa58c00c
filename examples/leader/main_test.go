package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestLeader(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-servers", "3", "-kills", "1"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"cluster formed unattended", "voters [server-1 server-2 server-3]", "killed leader server-", "new leader server-", ", 0 lost,"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLeaderBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-servers", "2"}, {"-kills", "0"}, {"-servers", "3", "-kills", "2"}, {"-bogus"}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%v) succeeded, want an error", args)
		}
	}
}
