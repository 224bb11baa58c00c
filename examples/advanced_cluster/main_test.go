package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestAdvancedCluster(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"cluster formed with 4 members",
		"cache-1 finds role=db at [db-1@",
		"api-1 event update db-1 [zone=eu-west role=db version=2.0]",
		"db-1 version=2.0 known to all members",
		`api-1 got broadcast from cache-1: "cache warm"`,
		"api-1 event left   api-2",
		"all members saw it as left",
		"failure events for api-2 within 1s: 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
