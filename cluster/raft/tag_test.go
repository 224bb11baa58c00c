package raft

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTag(t *testing.T) {
	tests := []struct {
		name     string
		meta     map[string]string
		want     serverTag
		ok       bool
		wantsErr bool
	}{
		{"not a server", map[string]string{"zone": "eu"}, serverTag{}, false, false},
		{"fresh", map[string]string{TagAddr: "10.0.0.1:8300", TagState: "fresh"}, serverTag{Addr: "10.0.0.1:8300"}, true, false},
		{"existing", map[string]string{TagAddr: "[::1]:8300", TagState: "existing"}, serverTag{Addr: "[::1]:8300", Existing: true}, true, false},
		{"no port", map[string]string{TagAddr: "10.0.0.1", TagState: "fresh"}, serverTag{}, false, true},
		{"no host", map[string]string{TagAddr: ":8300", TagState: "fresh"}, serverTag{}, false, true},
		{"port zero", map[string]string{TagAddr: "h:0", TagState: "fresh"}, serverTag{}, false, true},
		{"port too large", map[string]string{TagAddr: "h:65536", TagState: "fresh"}, serverTag{}, false, true},
		{"bad state", map[string]string{TagAddr: "h:1", TagState: "maybe"}, serverTag{}, false, true},
		{"missing state", map[string]string{TagAddr: "h:1"}, serverTag{}, false, true},
		{"too long", map[string]string{TagAddr: strings.Repeat("h", 300) + ":1", TagState: "fresh"}, serverTag{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseTag(tt.meta)
			if (err != nil) != tt.wantsErr || (err != nil && !errors.Is(err, ErrTag)) {
				t.Fatalf("parseTag(%v) error %v, want error %v wrapping ErrTag", tt.meta, err, tt.wantsErr)
			}
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseTag(%v) = %+v, %v; want %+v, %v", tt.meta, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestWithTagKeepsOtherMeta(t *testing.T) {
	in := map[string]string{"zone": "eu"}
	out := withTag(in, serverTag{Addr: "h:1", Existing: true})
	if len(in) != 1 {
		t.Fatalf("withTag changed its input: %v", in)
	}
	got, ok, err := parseTag(out)
	if err != nil || !ok || got != (serverTag{Addr: "h:1", Existing: true}) || out["zone"] != "eu" {
		t.Fatalf("round trip: %v -> %+v %v %v", out, got, ok, err)
	}
}

// FuzzParseTag: any metadata parses without panic; what parses round-trips
// through withTag.
func FuzzParseTag(f *testing.F) {
	f.Add("10.0.0.1:8300", "fresh")
	f.Add("[::1]:1", "existing")
	f.Add("h", "fresh")
	f.Add(":0", "")
	f.Fuzz(func(t *testing.T, addr, state string) {
		meta := map[string]string{TagAddr: addr, TagState: state}
		got, ok, err := parseTag(meta)
		if err != nil {
			if !errors.Is(err, ErrTag) || ok {
				t.Fatalf("error %v (ok %v) does not wrap ErrTag", err, ok)
			}
			return
		}
		again, ok2, err := parseTag(withTag(nil, got))
		if !ok || !ok2 || err != nil || again != got {
			t.Fatalf("round trip of %+v: %+v %v %v", got, again, ok2, err)
		}
	})
}

// withTag returns a copy of meta with the server's raft tags set.
func withTag(meta map[string]string, t serverTag) map[string]string {
	out := make(map[string]string, len(meta)+2)
	for k, v := range meta {
		out[k] = v
	}
	out[TagAddr] = t.Addr
	if t.Existing {
		out[TagState] = stateExisting
	} else {
		out[TagState] = stateFresh
	}
	return out
}
