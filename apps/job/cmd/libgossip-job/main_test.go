package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

// The binary runs a one-member cluster; the client commands add a job,
// list it, run it now, show its history and delete it.
func TestAgentAndClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "libgossip-job")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	agent := exec.Command(bin, "agent", "-id", "a", "-gossip", "127.0.0.1:0", "-api", "127.0.0.1:0",
		"-data", filepath.Join(dir, "data"), "-expect", "1", "-preset", "local")
	stderr, err := agent.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	apiCh := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`api=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "agent running") {
				apiCh <- m[1]
			}
		}
		exited <- agent.Wait()
	}()
	t.Cleanup(func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = agent.Process.Kill()
			<-exited
		}
	})
	var api string
	select {
	case api = <-apiCh:
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not start")
	}
	spec := filepath.Join(dir, "hello.json")
	os.WriteFile(spec, []byte(`{"name":"hello","schedule":"@every 1h","command":["echo","hello from the job"]}`), 0o600)
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		var err error
		deadline := time.Now().Add(30 * time.Second)
		for {
			out.Reset()
			if err = run(append([]string{args[0], "-api", api}, args[1:]...), &out); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond) // the member may still be electing itself
		}
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	cli("put", spec)
	if out := cli("list"); !strings.Contains(out, "hello") || !strings.Contains(out, "@every 1h") {
		t.Fatalf("list:\n%s", out)
	}
	cli("run", "hello")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := cli("history", "hello")
		if strings.Contains(out, "succeeded") && strings.Contains(out, "hello from the job") && strings.Contains(out, " a ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history never showed the run:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond) // polling the history
	}
	if out := cli("get", "hello"); !strings.Contains(out, `"next_at"`) {
		t.Fatalf("get: %s", out)
	}
	cli("delete", "hello")
	if err := run([]string{"get", "-api", api, "hello"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("get after delete: %v", err)
	}
	for _, bad := range [][]string{{}, {"frobnicate"}, {"get"}, {"agent"}} {
		if err := run(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", bad)
		}
	}
}
