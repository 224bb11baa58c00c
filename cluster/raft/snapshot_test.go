package raft

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// With a small snapshot threshold raft snapshots the FSM; a server that
// restarts restores from its snapshot and has every write.
func TestSnapshotAndRestore(t *testing.T) {
	c := newTestCluster(t, WithBootstrapExpect(1), WithSnapshots(16, 50*time.Millisecond, 1))
	m := c.start("a", "")
	c.leader(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for v := uint64(1); v <= 100; v++ {
		if _, err := m.srv.Apply(ctx, cmd(v)); err != nil {
			t.Fatal(err)
		}
	}
	gossiptest.WaitFor(t, 20*time.Second, "a snapshot on disk", func() bool {
		snaps, err := m.srv.snapshots()
		return err == nil && snaps > 0
	})
	c.kill("a")
	m = c.start("a", "")
	c.leader(20 * time.Second)
	gossiptest.WaitFor(t, 20*time.Second, "restored state", func() bool { return m.fsm.size() == 100 })
}

func TestHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := newHCLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l = l.Named("raft").Named("net").With("k", "v")
	l.Trace("trace line")
	l.Debug("debug line")
	l.Info("info line", "x", 1)
	l.Warn("warn line")
	l.Error("error line")
	out := buf.String()
	for _, want := range []string{"info line", "raft_logger=raft.net", "k=v", "x=1", "level=WARN msg=\"warn line\"", "level=WARN msg=\"error line\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "debug line") || strings.Contains(out, "trace line") {
		t.Errorf("debug output at Info level:\n%s", out)
	}
	if l.IsTrace() || l.IsDebug() || !l.IsInfo() || !l.IsWarn() || !l.IsError() || l.GetLevel() != hclog.Info {
		t.Errorf("levels: trace %v debug %v info %v level %v", l.IsTrace(), l.IsDebug(), l.IsInfo(), l.GetLevel())
	}
	if l.Name() != "raft.net" || l.ResetNamed("x").Name() != "x" || len(l.ImpliedArgs()) != 2 {
		t.Errorf("names: %q, implied %v", l.Name(), l.ImpliedArgs())
	}
	l.SetLevel(hclog.Trace) // ignored
	l.StandardLogger(nil).Print("std line")
	if _, err := l.StandardWriter(nil).Write([]byte("writer line\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "std line") || !strings.Contains(buf.String(), "writer line") {
		t.Errorf("standard logger output missing:\n%s", buf.String())
	}
	if newHCLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))).GetLevel() != hclog.Warn {
		t.Errorf("warn level not reported")
	}
	if newHCLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))).GetLevel() != hclog.Debug {
		t.Errorf("debug level not reported")
	}
}

func TestNotLeaderErrorText(t *testing.T) {
	if got := (&NotLeaderError{}).Error(); !strings.Contains(got, "no leader known") {
		t.Errorf("got %q", got)
	}
	if got := (&NotLeaderError{LeaderID: "a", LeaderAddr: "h:1"}).Error(); !strings.Contains(got, "a at h:1") {
		t.Errorf("got %q", got)
	}
}
