// Package agenttest drives every CLI subcommand against a running
// three-agent cluster, for the in-process tests of package cli and the
// process tests of the libgossip binary. It checks outputs against golden
// files (volatile fields masked) and exit codes.
package agenttest

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Keys are the two encryption keys of the scenario (16 bytes, base64).
const (
	Key1 = "MDEyMzQ1Njc4OWFiY2RlZg=="
	Key2 = "ZmVkY2JhOTg3NjU0MzIxMA=="
)

// Runner runs the command line.
type Runner interface {
	// Run runs one command to completion.
	Run(t *testing.T, args ...string) (stdout, stderr string, code int)
	// Start runs a command in the background; wait returns its output
	// and exit code once it ends.
	Start(t *testing.T, args ...string) (wait func() (stdout string, code int))
}

// Cluster is three running agents named a1, a2, a3 (a2 and a3 joined a1),
// with tags role=web on a1 and role=db on the others, every one started
// with a key file holding Key1.
type Cluster struct {
	HTTP   [3]string
	Gossip [3]string
	// Exited reports agent i's exit code once it has exited.
	Exited func(i int) <-chan int
	// Crash stops agent i without leaving (as a crash).
	Crash func(i int)
}

// AgentArgs are the agent command's arguments for agent i (0-based) of the
// scenario; join is a1's gossip address ("" for a1 itself).
func AgentArgs(i int, keyfile, join string) []string {
	role := "db"
	if i == 0 {
		role = "web"
	}
	args := []string{"agent", "-node", "a" + string(rune('1'+i)), "-bind", "127.0.0.1:0", "-http-addr", "127.0.0.1:0",
		"-preset", "local", "-keyfile", keyfile, "-tag", "role=" + role, "-log-level", "warn", "-rejoin-interval", "1h"}
	if join != "" {
		args = append(args, "-join", join)
	}
	return args
}

// WriteKeyFile writes a key file holding Key1 into dir.
func WriteKeyFile(t *testing.T, dir string) string {
	p := filepath.Join(dir, "keys")
	if err := os.WriteFile(p, []byte(Key1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "ADDR"},
	{regexp.MustCompile(`"incarnation": \d+`), `"incarnation": 0`},
	{regexp.MustCompile(`"version": "[^"]*"`), `"version": "V"`},
	{regexp.MustCompile(`"token": \d+`), `"token": 0`},
	{regexp.MustCompile(`token=\d+`), `token=0`},
}

// Mask replaces volatile fields (addresses, incarnations, versions, tokens).
func Mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// Golden compares masked output with testdata/golden/name, or rewrites it
// with -update.
func Golden(t *testing.T, dir, name, got string) {
	t.Helper()
	got = Mask(got)
	p := filepath.Join(dir, name)
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", name, err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// Eventually polls cond until it holds or the deadline passes.
func Eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not a wait for a condition
	}
}

// Scenario drives every subcommand against c; golden is the golden
// directory.
func Scenario(t *testing.T, r Runner, c *Cluster, golden string) {
	h := func(i int) string { return "-http-addr=" + c.HTTP[i] }
	ok := func(args ...string) string {
		t.Helper()
		out, errOut, code := r.Run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		return out
	}
	fails := func(want int, msg string, args ...string) {
		t.Helper()
		_, errOut, code := r.Run(t, args...)
		if code != want || !strings.Contains(errOut, msg) {
			t.Errorf("%v: exit %d stderr %q; want exit %d and %q", args, code, errOut, want, msg)
		}
	}
	Eventually(t, 30*time.Second, "3 alive members at every agent", func() bool {
		for i := range 3 {
			out, _, code := r.Run(t, "members", h(i), "-status", "alive")
			if code != 0 || strings.Count(out, "alive") != 3 {
				return false
			}
		}
		return true
	})
	Golden(t, golden, "members.json", ok("members", h(0), "-format", "json"))
	Golden(t, golden, "members_filtered.txt", ok("members", h(0), "-status", "alive", "-name", "a[12]"))
	Golden(t, golden, "members_tag.txt", ok("members", h(1), "-tag", "role=w.*"))

	// Tags.
	Golden(t, golden, "tags_set.txt", ok("tags", h(0), "-set", "zone=z1", "-delete", "role"))
	Golden(t, golden, "tags_get.json", ok("tags", h(0), "-format", "json"))
	Eventually(t, 20*time.Second, "a3 to see a1's new tags", func() bool {
		out, _, _ := r.Run(t, "members", h(2), "-tag", "zone=z1")
		return strings.Contains(out, "a1")
	})
	fails(1, "reserved", "tags", h(0), "-set", "kv.rpc=x")

	// KV.
	Golden(t, golden, "kv_put.json", ok("kv", h(0), "-format", "json", "put", "conf/x", "42"))
	Eventually(t, 20*time.Second, "the key at a3", func() bool {
		out, _, code := r.Run(t, "kv", h(2), "get", "conf/x")
		return code == 0 && out == "42\n"
	})
	ok("kv", h(1), "put", "conf/y", "7")
	Eventually(t, 20*time.Second, "both keys at a1", func() bool {
		out, _, _ := r.Run(t, "kv", h(0), "list", "conf/")
		return out == "conf/x=42\nconf/y=7\n"
	})
	Golden(t, golden, "kv_list.json", ok("kv", h(0), "-format", "json", "list", "conf/"))
	Golden(t, golden, "kv_delete.txt", ok("kv", h(0), "delete", "conf/y"))
	fails(1, `libgossip: error: agent: not found: key "conf/y" (HTTP 404)`, "kv", h(0), "get", "conf/y")

	// Leader, query, info.
	Golden(t, golden, "leader.json", ok("leader", h(2), "-format", "json"))
	Eventually(t, 10*time.Second, "a1 leading at a2", func() bool {
		out, _, _ := r.Run(t, "leader", h(1))
		return strings.HasPrefix(out, "a1\t")
	})
	Eventually(t, 20*time.Second, "3 answers to ping", func() bool {
		out, _, _ := r.Run(t, "query", h(0), "ping")
		return strings.HasSuffix(out, "3 response(s)\n")
	})
	Golden(t, golden, "query.json", ok("query", h(0), "-format", "json", "-node", "a2", "-node", "a3", "ping"))
	out := ok("info", h(1), "-format", "json")
	if !strings.Contains(out, `"name": "a2"`) || !strings.Contains(out, `"encrypted": true`) {
		t.Errorf("info: %s", out)
	}
	Golden(t, golden, "info.txt", ok("info", h(1)))

	// Keys: rotate Key1 -> Key2 across the cluster.
	Golden(t, golden, "keys_list.json", ok("keys", h(0), "-list", "-format", "json"))
	Golden(t, golden, "keys_install.txt", ok("keys", h(0), "-install", Key2))
	ok("keys", h(0), "-use", Key2)
	Golden(t, golden, "keys_remove.txt", ok("keys", h(0), "-remove", Key1))
	fails(1, "libgossip: error:", "keys", h(0), "-install", "not-base64!")
	fails(2, "libgossip: usage: keys: want exactly one", "keys", h(0), "-list", "-remove", Key1)

	// Events, seen by a monitor on a2.
	wait := r.Start(t, "monitor", h(1), "-types", "user", "-n", "1", "-format", "json")
	done := make(chan struct{})
	var monOut string
	var monCode int
	go func() { monOut, monCode = wait(); close(done) }()
	Eventually(t, 20*time.Second, "the monitor to see the event", func() bool {
		select {
		case <-done:
			return true
		default:
		}
		r.Run(t, "event", h(0), "deploy", "v1")
		return false
	})
	if monCode != 0 || !strings.Contains(monOut, `"name":"deploy"`) || !strings.Contains(monOut, `"from":"a1"`) {
		t.Errorf("monitor: exit %d output %q", monCode, monOut)
	}
	Golden(t, golden, "event.txt", ok("event", h(0), "deploy", "v2"))

	// Join (already a member: still succeeds).
	Golden(t, golden, "join.txt", ok("join", h(2), c.Gossip[0]))

	// Usage and errors.
	fails(2, "libgossip: usage: unknown command", "frobnicate")
	fails(2, "libgossip: usage: -format", "members", h(0), "-format", "xml")
	fails(2, "libgossip: usage: kv: want", "kv", h(0), "get")
	fails(2, "libgossip: usage: force-leave: want exactly one", "force-leave", h(0))
	fails(2, "", "members", "-bogus")
	fails(1, "libgossip: error: agent unreachable at http://127.0.0.1:1", "members", "-http-addr", "127.0.0.1:1")
	fails(1, "is alive", "force-leave", h(0), "a2")
	fails(1, "not found", "force-leave", h(0), "nobody")

	// Leave: a3 leaves and exits 0.
	Golden(t, golden, "leave.txt", ok("leave", h(2)))
	select {
	case code := <-c.Exited(2):
		if code != 0 {
			t.Errorf("a3 exited %d after leave", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a3 did not exit after leave")
	}
	Eventually(t, 20*time.Second, "a3 left at a1", func() bool {
		out, _, _ := r.Run(t, "members", h(0), "-status", "left")
		return strings.Contains(out, "a3")
	})

	// Force-leave: a2 crashes, is detected, then forced out and pruned.
	c.Crash(1)
	Eventually(t, 30*time.Second, "a2 failed at a1", func() bool {
		out, _, _ := r.Run(t, "members", h(0), "-status", "failed")
		return strings.Contains(out, "a2")
	})
	Golden(t, golden, "force_leave.txt", ok("force-leave", h(0), "a2"))
	Golden(t, golden, "members_forced.txt", ok("members", h(0)))
	ok("force-leave", h(0), "-prune", "a2")
	Golden(t, golden, "members_pruned.txt", ok("members", h(0)))
}
