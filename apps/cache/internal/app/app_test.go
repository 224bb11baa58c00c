package app

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	procs := runtime.GOMAXPROCS(0)
	go func() {
		done <- Run(ctx, []string{"-resp", "127.0.0.1:0", "-gossip", "127.0.0.1:0", "-http", "127.0.0.1:0",
			"-preset", "local", "-log-level", "warn", "-replicas", "1", "-cpuprofile", prof, "-procs", strconv.Itoa(procs + 1)}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if got := runtime.GOMAXPROCS(0); got != procs+1 {
		t.Errorf("GOMAXPROCS while serving with -procs %d: %d", procs+1, got)
	}
	var addr string
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "resp="); ok {
			addr = v
		}
	}
	cl := redis.NewClient(&redis.Options{Addr: addr})
	if err := cl.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after Run: %d, want %d as before", got, procs)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Fatalf("no CPU profile written: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-procs", "-1"}, {"-log-level", "loud"}, {"-cpuprofile", "/nonexistent/dir/cpu.prof"}, {"-replicas", "1", "-write-acks", "2"}, {"-preset", "moon", "-gossip", "127.0.0.1:0", "-resp", "127.0.0.1:0"}} {
		if err := Run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("Run(%q) succeeded", args)
		}
	}
}
