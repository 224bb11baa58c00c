package monitoring_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/monitoring"
)

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, " warn ": slog.LevelWarn, "error": slog.LevelError, "info+2": slog.LevelInfo + 2} {
		if got, err := monitoring.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := monitoring.ParseLevel("loud"); !errors.Is(err, monitoring.ErrConfig) {
		t.Errorf("ParseLevel(loud): %v", err)
	}
}

func TestNewLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	l, err := monitoring.NewLogger(&buf, monitoring.LogConfig{Level: slog.LevelDebug, Format: monitoring.LogJSON, MemberID: "node-7"})
	if err != nil {
		t.Fatal(err)
	}
	// A library attaching its identity again, as gossip.Node does.
	l.With("component", "gossip", "node_id", "node-7").Debug("probe", "peer", "node-2")
	l.WithGroup("g").With("node_id", "other").Info("grouped")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	if n := strings.Count(lines[0], `"node_id"`); n != 1 {
		t.Errorf("node_id appears %d times: %s", n, lines[0])
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["node_id"] != "node-7" || rec["component"] != "gossip" || rec["level"] != "DEBUG" || rec["peer"] != "node-2" {
		t.Errorf("record %v", rec)
	}
	if !strings.Contains(lines[1], `"node_id":"node-7"`) || !strings.Contains(lines[1], `"g":{"node_id":"other"}`) {
		t.Errorf("grouped record: %s", lines[1])
	}
}

func TestNewLoggerText(t *testing.T) {
	var buf bytes.Buffer
	l, err := monitoring.NewLogger(&buf, monitoring.LogConfig{Level: slog.LevelWarn, MemberID: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("degraded", "err", "slow peer")
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "node_id=n1") || !strings.Contains(got, "level=WARN") {
		t.Errorf("text output %q", got)
	}
	if _, err := monitoring.NewLogger(&buf, monitoring.LogConfig{Format: "xml"}); !errors.Is(err, monitoring.ErrConfig) {
		t.Errorf("format xml: %v", err)
	}
	plain, _ := monitoring.NewLogger(&buf, monitoring.LogConfig{Format: monitoring.LogText})
	buf.Reset()
	plain.Info("no id")
	if strings.Contains(buf.String(), "node_id") {
		t.Errorf("node_id without a MemberID: %q", buf.String())
	}
}
