package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/agent/internal/agenttest"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

type inProc struct{}

func run(ctx context.Context, args []string, stdout io.Writer) (string, int) {
	var errOut bytes.Buffer
	env := Env{Stdout: stdout, Stderr: &errOut, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	code := Main(ctx, env, args)
	return errOut.String(), code
}

func (inProc) Run(t *testing.T, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, args)
	return out.String(), errOut.String(), code
}

func (inProc) Start(t *testing.T, args ...string) func() (string, int) {
	var out bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		env := Env{Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" }}
		done <- Main(ctx, env, args)
	}()
	var once sync.Once
	var code int
	wait := func() (string, int) {
		once.Do(func() { code = <-done })
		return out.String(), code
	}
	t.Cleanup(func() { cancel(); wait() })
	return wait
}

// agentRun is an agent run in-process by Main("agent", ...).
type agentRun struct {
	http, gossip string
	cancel       context.CancelFunc
	sigs         chan os.Signal
	exited       chan int
	done         chan struct{}
}

func startAgent(t *testing.T, args []string) *agentRun {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	a := &agentRun{cancel: cancel, sigs: make(chan os.Signal, 1), exited: make(chan int, 1), done: make(chan struct{})}
	go func() {
		env := Env{Stdout: pw, Stderr: io.Discard, Getenv: func(string) string { return "" }, Signals: a.sigs}
		code := Main(ctx, env, args)
		pw.Close()
		a.exited <- code
		close(a.done)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("agent did not start: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for f := range strings.FieldsSeq(line) {
		if v, ok := strings.CutPrefix(f, "http="); ok {
			a.http = v
		}
		if v, ok := strings.CutPrefix(f, "gossip="); ok {
			a.gossip = v
		}
	}
	t.Cleanup(func() {
		a.sigs <- syscall.SIGTERM
		select {
		case <-a.done:
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop")
		}
	})
	return a
}

// TestCLI drives every subcommand in-process against three agents run by
// the agent command.
func TestCLI(t *testing.T) {
	keys := agenttest.WriteKeyFile(t, t.TempDir())
	var as [3]*agentRun
	as[0] = startAgent(t, agenttest.AgentArgs(0, keys, ""))
	for i := 1; i < 3; i++ {
		as[i] = startAgent(t, agenttest.AgentArgs(i, keys, as[0].gossip))
	}
	c := &agenttest.Cluster{
		Exited: func(i int) <-chan int { return as[i].exited },
		// A crash: the agent stops without leaving.
		Crash: func(i int) { as[i].cancel() },
	}
	for i, a := range as {
		c.HTTP[i], c.Gossip[i] = a.http, a.gossip
	}
	agenttest.Scenario(t, inProc{}, c, "../agenttest/testdata/golden")
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, ExitUsage, "usage: libgossip COMMAND"},
		{[]string{"help"}, ExitOK, "commands:"},
		{[]string{"agent", "-preset", "nope", "-http-addr", "127.0.0.1:0", "-bind", "127.0.0.1:0"}, ExitUsage, "preset"},
		{[]string{"agent", "-log-format", "xml"}, ExitUsage, "log_format"},
		{[]string{"agent", "extra"}, ExitUsage, "unexpected argument"},
		{[]string{"agent", "-config", "/nonexistent.yaml"}, ExitUsage, "nonexistent"},
		{[]string{"members", "-h"}, ExitOK, "-status"},
		{[]string{"join"}, ExitUsage, "want at least one address"},
		{[]string{"event"}, ExitUsage, "want NAME"},
		{[]string{"query"}, ExitUsage, "want NAME"},
		{[]string{"tags", "-set", "novalue"}, ExitUsage, "want key=value"},
		{[]string{"kv", "frob", "x"}, ExitUsage, "kv: want"},
		{[]string{"leave", "x"}, ExitUsage, "unexpected argument"},
		{[]string{"monitor", "-format", "yaml"}, ExitUsage, "-format"},
		{[]string{"leader", "-http-addr", "127.0.0.1:1"}, ExitError, "agent unreachable"},
		{[]string{"monitor", "-http-addr", "127.0.0.1:1"}, ExitError, "agent unreachable"},
		{[]string{"reload", "-http-addr", "127.0.0.1:1"}, ExitError, "agent unreachable"},
	} {
		errOut, code := run(context.Background(), tc.args, io.Discard)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// TestAgentLifecycle covers SIGHUP (reload) and a token-protected API used
// through the environment variables.
func TestAgentLifecycle(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/agent.yaml"
	if err := os.WriteFile(cfg, []byte("node_name: solo\nbind: 127.0.0.1:0\nhttp_addr: 127.0.0.1:0\npreset: local\nhttp_token: s3cret\ntags:\n  role: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, []string{"agent", "-config", cfg})
	var out bytes.Buffer
	env := func(tok string) Env {
		return Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string {
			return map[string]string{"LIBGOSSIP_HTTP_ADDR": a.http, "LIBGOSSIP_HTTP_TOKEN": tok}[k]
		}}
	}
	if code := Main(context.Background(), env("wrong"), []string{"tags"}); code != ExitError || !strings.Contains(out.String(), "HTTP 401") {
		t.Fatalf("wrong token: exit %d, %q", code, out.String())
	}
	if err := os.WriteFile(cfg, []byte("node_name: solo\nbind: 127.0.0.1:0\nhttp_addr: 127.0.0.1:0\npreset: local\nhttp_token: s3cret\nlog_level: debug\ntags:\n  role: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.sigs <- syscall.SIGHUP
	agenttest.Eventually(t, 10*time.Second, "the reloaded tag", func() bool {
		out.Reset()
		Main(context.Background(), env("s3cret"), []string{"tags"})
		return out.String() == "role=b\n"
	})
	out.Reset()
	if code := Main(context.Background(), env("s3cret"), []string{"reload"}); code != ExitOK {
		t.Fatalf("reload: exit %d %q", code, out.String())
	}
	out.Reset()
	if code := Main(context.Background(), env("s3cret"), []string{"leader"}); code != ExitOK || !strings.HasPrefix(out.String(), "solo\t") {
		t.Fatalf("leader: exit %d %q", code, out.String())
	}
	out.Reset()
	if code := Main(context.Background(), env("s3cret"), []string{"keys", "-list"}); code != ExitError || !strings.Contains(out.String(), "not enabled") {
		t.Fatalf("keys without keyring: exit %d %q", code, out.String())
	}
}
