package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestNetworkExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, scheme := range []string{"udp", "tcp", "hybrid"} {
		for _, codec := range []string{"binary", "json"} {
			for _, sec := range []string{"plain", "aes-gcm+label"} {
				line := scheme + strings.Repeat(" ", 8-len(scheme)) + codec + strings.Repeat(" ", 8-len(codec)) + sec
				if !strings.Contains(s, line) {
					t.Errorf("output lacks a line for %s/%s/%s:\n%s", scheme, codec, sec, s)
				}
			}
		}
	}
	if !strings.Contains(s, "wrong key: join refused (true)") || !strings.Contains(s, "it knows 1 member(s)") {
		t.Errorf("output lacks the wrong-key result:\n%s", s)
	}
	if !strings.Contains(s, "cluster key: aes-256:") {
		t.Errorf("output lacks the key's redacted form:\n%s", s)
	}
}
