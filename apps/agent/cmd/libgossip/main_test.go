package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/agent/internal/agenttest"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

var bin string

// TestMain builds the static binary once into a temporary directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "libgossip-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "libgossip")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type procRunner struct{}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func (procRunner) Run(t *testing.T, args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), exitCode(err)
}

func (procRunner) Start(t *testing.T, args ...string) func() (string, int) {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return func() (string, int) {
		err := cmd.Wait()
		return out.String(), exitCode(err)
	}
}

// agentProc is one agent process.
type agentProc struct {
	cmd    *exec.Cmd
	http   string
	gossip string
	exited chan int
	done   chan struct{}
	stderr *bytes.Buffer
}

func startAgent(t *testing.T, args []string) *agentProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &agentProc{cmd: cmd, exited: make(chan int, 1), done: make(chan struct{}), stderr: &bytes.Buffer{}}
	cmd.Stderr = &lockedWriter{w: p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("agent %v did not start: %v; stderr: %s", args, err, p.stderr)
	}
	for f := range strings.FieldsSeq(line) {
		if v, ok := strings.CutPrefix(f, "http="); ok {
			p.http = v
		}
		if v, ok := strings.CutPrefix(f, "gossip="); ok {
			p.gossip = v
		}
	}
	go func() {
		p.exited <- exitCode(cmd.Wait())
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestCLIProcesses starts three agents as processes and drives every
// subcommand of the binary against them.
func TestCLIProcesses(t *testing.T) {
	gossiptest.Check(t)
	keys := agenttest.WriteKeyFile(t, t.TempDir())
	var procs [3]*agentProc
	procs[0] = startAgent(t, agenttest.AgentArgs(0, keys, ""))
	for i := 1; i < 3; i++ {
		procs[i] = startAgent(t, agenttest.AgentArgs(i, keys, procs[0].gossip))
	}
	c := &agenttest.Cluster{
		Exited: func(i int) <-chan int { return procs[i].exited },
		Crash: func(i int) {
			_ = procs[i].cmd.Process.Kill()
		},
	}
	for i, p := range procs {
		c.HTTP[i], c.Gossip[i] = p.http, p.gossip
	}
	agenttest.Scenario(t, procRunner{}, c, "../../internal/agenttest/testdata/golden")
}

// TestSIGTERMLeaves checks that SIGTERM makes an agent leave: its peer
// sees it as left, not failed.
func TestSIGTERMLeaves(t *testing.T) {
	gossiptest.Check(t)
	keys := agenttest.WriteKeyFile(t, t.TempDir())
	a := startAgent(t, agenttest.AgentArgs(0, keys, ""))
	b := startAgent(t, agenttest.AgentArgs(1, keys, a.gossip))
	r := procRunner{}
	agenttest.Eventually(t, 20*time.Second, "b to join", func() bool {
		out, _, _ := r.Run(t, "members", "-http-addr", a.http, "-status", "alive")
		return strings.Contains(out, "a2")
	})
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	if code := <-b.exited; code != 0 {
		t.Fatalf("exit %d after SIGTERM; stderr %s", code, b.stderr)
	}
	agenttest.Eventually(t, 20*time.Second, "a2 left", func() bool {
		out, _, _ := r.Run(t, "members", "-http-addr", a.http, "-status", "left")
		return strings.Contains(out, "a2")
	})
}

// TestSIGTERMWithoutLeave checks -leave-on-terminate=false: the agent
// stops without leaving, so its peer detects it as failed.
func TestSIGTERMWithoutLeave(t *testing.T) {
	gossiptest.Check(t)
	keys := agenttest.WriteKeyFile(t, t.TempDir())
	a := startAgent(t, agenttest.AgentArgs(0, keys, ""))
	b := startAgent(t, append(agenttest.AgentArgs(1, keys, a.gossip), "-leave-on-terminate=false"))
	r := procRunner{}
	agenttest.Eventually(t, 20*time.Second, "b to join", func() bool {
		out, _, _ := r.Run(t, "members", "-http-addr", a.http, "-status", "alive")
		return strings.Contains(out, "a2")
	})
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	if code := <-b.exited; code != 0 {
		t.Fatalf("exit %d after SIGTERM; stderr %s", code, b.stderr)
	}
	agenttest.Eventually(t, 20*time.Second, "a2 failed", func() bool {
		out, _, _ := r.Run(t, "members", "-http-addr", a.http, "-status", "failed")
		return strings.Contains(out, "a2")
	})
}
