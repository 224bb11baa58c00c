package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"-nodes", "10", "-scenario", "detect", "-seed", "4", "-trace"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON line: %v\n%s", err, out.String())
	}
	for _, k := range []string{"nodes", "scenario", "seed", "detect_s", "false_failures", "msgs_per_node_per_s", "bytes_per_node_per_s", "wall_s", "max_rss_mb", "cpu_s"} {
		if _, ok := r[k]; !ok {
			t.Errorf("result lacks %q: %s", k, out.String())
		}
	}
	if !strings.Contains(errb.String(), "failed") {
		t.Error("trace lacks the failure event")
	}
	out.Reset()
	if err := run([]string{"-nodes", "10", "-scenario", "detect", "-seed", "4", "-check", "-max-wall", "10m"}, &out, &errb); err != nil {
		t.Errorf("check of a good run: %v", err)
	}
	out.Reset()
	// One byte of resident set is too little for any run.
	err := run([]string{"-nodes", "10", "-scenario", "converge", "-duration", "1s", "-check", "-max-rss-mb", "0.000001"}, &out, &errb)
	if maxRSSMB() > 0 && (err == nil || !strings.Contains(err.Error(), "peak RSS")) {
		t.Errorf("check passed a run over its memory bound: %v", err)
	}
	out.Reset()
	if err := run([]string{"-nodes", "10", "-scenario", "converge", "-settle", "30s", "-duration", "60s"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Settle      float64            `json:"settle_s"`
		VirtualS    float64            `json:"virtual_s"`
		BytesByKind map[string]float64 `json:"bytes_by_kind"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Settle != 30 || st.VirtualS < 90 || st.BytesByKind["ping"] == 0 {
		t.Errorf("-settle 30s -duration 60s: settle %v s, %v virtual s, bytes by kind %v; want 30, at least 90 and ping bytes", st.Settle, st.VirtualS, st.BytesByKind)
	}
	if err := run([]string{"-settle", "-1s"}, &out, &errb); err == nil {
		t.Error("negative settle accepted")
	}
	if err := run([]string{"-scenario", "bogus"}, &out, &errb); err == nil {
		t.Error("unknown scenario accepted")
	}
	if err := run([]string{"-nosuchflag"}, &out, &errb); err == nil {
		t.Error("unknown flag accepted")
	}
}
