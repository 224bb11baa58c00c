package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libgossip/libgossip/cluster/election"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

// TestMain doubles as an event handler: with LIBGOSSIP_TEST_HANDLER_OUT
// set, the test binary appends its environment and stdin to that file.
// waitLimit bounds each wait for a condition: the agents run real sockets
// and timers, under the race detector.
const waitLimit = 20 * time.Second

func TestMain(m *testing.M) {
	if out := os.Getenv("LIBGOSSIP_TEST_HANDLER_OUT"); out != "" {
		handlerMain(out)
		return
	}
	gossiptest.VerifyNone(m)
}

func handlerMain(out string) {
	if dir := os.Getenv("LIBGOSSIP_TEST_HANDLER_DIR"); dir != "" { // count handlers running at once
		me := filepath.Join(dir, fmt.Sprint(os.Getpid()))
		os.WriteFile(me, nil, 0o600)
		ents, _ := os.ReadDir(dir)
		time.Sleep(100 * time.Millisecond) // hold the slot so that overlaps show
		os.Remove(me)
		f, _ := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		fmt.Fprintln(f, len(ents))
		f.Close()
		os.Exit(0)
	}
	if os.Getenv("LIBGOSSIP_TEST_HANDLER_SLEEP") != "" {
		time.Sleep(time.Minute) // killed by the handler timeout
	}
	in, _ := io.ReadAll(os.Stdin)
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "LIBGOSSIP_") && !strings.HasPrefix(e, "LIBGOSSIP_TEST") {
			env = append(env, e)
		}
	}
	f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		os.Exit(3)
	}
	defer f.Close()
	fmt.Fprintf(f, "%s|%s", strings.Join(env, ";"), in)
	os.Exit(0)
}

func testConfig(name string) Config {
	return Config{NodeName: name, Bind: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Preset: "local", LogLevel: "error"}
}

func start(t *testing.T, cfg Config) *Agent {
	t.Helper()
	a, err := New(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return a
}

func TestConfigFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	y := filepath.Join(dir, "a.yaml")
	os.WriteFile(y, []byte("node_name: fromfile\npreset: wan\nseeds: [a:1, dns+b:2]\ntags: {role: web}\nhandler_timeout: 3s\nevent_handlers:\n  - events: [member-join, user:deploy]\n    command: [/bin/true, x]\n"), 0o600)
	c, err := ParseFlags(flag.NewFlagSet("t", flag.ContinueOnError), []string{"-config", y, "-node", "fromflag", "-join", "c:3"})
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeName != "fromflag" || c.Preset != "wan" || strings.Join(c.Seeds, ",") != "c:3" || c.Tags["role"] != "web" ||
		time.Duration(c.HandlerTimeout) != 3*time.Second || len(c.Handlers) != 1 || c.Handlers[0].Command[1] != "x" ||
		c.HTTPAddr != "127.0.0.1:8946" || !*c.LeaveOnTerm {
		t.Errorf("config %+v", c)
	}
	j := filepath.Join(dir, "a.json")
	os.WriteFile(j, []byte(`{"node_name":"j","leave_on_terminate":false,"http_max_body":10}`), 0o600)
	c, err = ParseFlags(flag.NewFlagSet("t", flag.ContinueOnError), []string{"-config=" + j, "-tag", "a=b", "-event-handler", "user=/bin/echo hi", "-leave-on-terminate", "true"})
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeName != "j" || c.HTTPMaxBody != 10 || !*c.LeaveOnTerm || c.Tags["a"] != "b" || c.Handlers[0].Command[0] != "/bin/echo" {
		t.Errorf("config %+v", c)
	}
	for _, bad := range []string{`{"nope":1}`, `{"event_handlers":[{"events":["bogus"],"command":["x"]}]}`, `{"event_handlers":[{}]}`,
		`{"tls_cert":"x"}`, `{"expect":-1}`} {
		os.WriteFile(j, []byte(bad), 0o600)
		if _, err := ParseFlags(flag.NewFlagSet("t", flag.ContinueOnError), []string{"-config", j}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestHTTPBounds(t *testing.T) {
	gossiptest.Check(t)
	cfg := testConfig("bounded")
	cfg.HTTPToken, cfg.HTTPMaxBody, cfg.HTTPStreams, cfg.HTTPMaxConns = "tok", 1024, 1, 3
	cfg.HTTPTimeout = Duration(3 * time.Second)
	a := start(t, cfg)
	base := "http://" + a.HTTPAddr()
	do := func(method, path, tok, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := do("GET", "/v1/members", "", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := do("GET", "/v1/members", "nope", ""); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code, _ := do("GET", "/healthz", "", ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, body := do("GET", "/v1/members", "tok", ""); code != 200 || !strings.Contains(body, "bounded") {
		t.Errorf("members: %d %s", code, body)
	}
	if code, _ := do("PUT", "/v1/kv/big", "tok", strings.Repeat("x", 2048)); code != 413 {
		t.Errorf("oversized body: %d, want 413", code)
	}
	if code, _ := do("POST", "/v1/event", "tok", `{"name":`); code != 400 {
		t.Errorf("bad json: %d, want 400", code)
	}
	if code, _ := do("GET", "/metrics", "tok", ""); code != 200 {
		t.Errorf("metrics: %d", code)
	}
	if code, _ := do("GET", "/dashboard/api/state", "tok", ""); code != 200 {
		t.Errorf("dashboard: %d", code)
	}
	// One stream at a time.
	req, _ := http.NewRequest("GET", base+"/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	if code, _ := do("GET", "/v1/stream", "tok", ""); code != 503 {
		t.Errorf("second stream: %d, want 503", code)
	}
	resp.Body.Close()
	// A client that never finishes its headers is cut off.
	c, err := net.Dial("tcp", a.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(c, "GET /v1/members HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("slow client not closed by the server: %v", err)
	}
	c.Close()
	// Connections beyond the limit wait until one closes (a fresh agent,
	// so that no earlier connection holds a slot).
	cfg2 := testConfig("limited")
	cfg2.HTTPMaxConns, cfg2.HTTPTimeout = 2, Duration(10*time.Second)
	l := start(t, cfg2)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", l.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	gossiptest.WaitFor(t, waitLimit, "every slot taken", func() bool { return l.api.ln.Open() == l.api.ln.Limit() })
	hc := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ = http.NewRequest("GET", "http://"+l.HTTPAddr()+"/healthz", nil)
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("request served beyond the connection limit")
	}
	for _, c := range held {
		c.Close()
	}
	gossiptest.WaitFor(t, waitLimit, "a request once connections closed", func() bool {
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

func TestEventHandlers(t *testing.T) {
	gossiptest.Check(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "events")
	t.Setenv("LIBGOSSIP_TEST_HANDLER_OUT", out)
	cfg := testConfig("h1")
	cfg.Tags = map[string]string{"role": "web", "dc-name": "x"}
	cfg.Handlers = []HandlerConfig{{Events: []string{KindJoin, "user:deploy"}, Command: []string{exe}}}
	cfg.HandlerConcurrency = 1
	a := start(t, cfg)
	cfg2 := testConfig("h2")
	cfg2.Seeds = []string{a.Node().LocalNode().Addr}
	b := start(t, cfg2)
	gossiptest.WaitFor(t, waitLimit, "the join handler", func() bool {
		s, _ := os.ReadFile(out)
		return strings.Contains(string(s), "LIBGOSSIP_MEMBER_NAME=h2")
	})
	if err := b.UserEvent("other", "x"); err != nil { // not selected by the handler
		t.Fatal(err)
	}
	if err := b.UserEvent("deploy", "v7"); err != nil {
		t.Fatal(err)
	}
	gossiptest.WaitFor(t, waitLimit, "the user event handler", func() bool {
		s, _ := os.ReadFile(out)
		return strings.Contains(string(s), "LIBGOSSIP_USER_EVENT=deploy")
	})
	s, _ := os.ReadFile(out)
	for _, want := range []string{"LIBGOSSIP_EVENT=member-join", "LIBGOSSIP_SELF_NAME=h1", "LIBGOSSIP_TAG_ROLE=web", "LIBGOSSIP_TAG_DC_NAME=x",
		"LIBGOSSIP_EVENT=user", "LIBGOSSIP_USER_FROM=h2", `"type":"user"`, `"payload":"v7"`, `"type":"member-join"`} {
		if !strings.Contains(string(s), want) {
			t.Errorf("handler output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(string(s), "LIBGOSSIP_USER_EVENT=other") {
		t.Errorf("handler ran for an unselected event")
	}
	// Each line's stdin part is a JSON event.
	for line := range strings.SplitSeq(strings.TrimSpace(string(s)), "\n") {
		_, js, _ := strings.Cut(line, "|")
		var e Event
		if err := json.Unmarshal([]byte(js), &e); err != nil {
			t.Errorf("stdin %q: %v", js, err)
		}
	}
}

func TestHandlerTimeoutAndQueue(t *testing.T) {
	gossiptest.Check(t)
	exe, _ := os.Executable()
	t.Setenv("LIBGOSSIP_TEST_HANDLER_OUT", filepath.Join(t.TempDir(), "x"))
	t.Setenv("LIBGOSSIP_TEST_HANDLER_SLEEP", "1")
	cfg := testConfig("slow")
	cfg.Handlers = []HandlerConfig{{Command: []string{exe}}}
	cfg.HandlerConcurrency, cfg.HandlerQueue, cfg.HandlerTimeout = 1, 1, Duration(200*time.Millisecond)
	a := start(t, cfg)
	for i := range 5 {
		if err := a.UserEvent("e", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	gossiptest.WaitFor(t, waitLimit, "a timed-out handler", func() bool { return a.runner.failed.Load() >= 1 })
	if a.runner.dropped.Load() == 0 {
		t.Errorf("no event dropped with a queue of 1 and 5 events")
	}
	if in := a.Info(); in.Handlers["failed"] == 0 {
		t.Errorf("info: %+v", in.Handlers)
	}
}

func TestStreamAndLogs(t *testing.T) {
	gossiptest.Check(t)
	cfg := testConfig("s1")
	cfg.LogLevel = "info"
	a := start(t, cfg)
	resp, err := http.Get("http://" + a.HTTPAddr() + "/v1/stream?types=user,log")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	gossiptest.WaitFor(t, waitLimit, "a subscriber", func() bool { return a.broker.count() == 1 })
	if err := a.UserEvent("hello", "p"); err != nil {
		t.Fatal(err)
	}
	a.Logger().Info("a log line", "k", "v")
	var got []string
	for sc.Scan() && len(got) < 2 {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			got = append(got, d)
		}
	}
	if len(got) != 2 || !strings.Contains(got[0], `"name":"hello"`) || !strings.Contains(got[1], `a log line k=v`) {
		t.Errorf("stream: %q", got)
	}
}

// TestTagsBesideServices: the agent's tag changes and a cluster service's
// writes of its own key (the services go through gossip.Node.UpdateMeta)
// interleave without losing either's keys. (A reload once lost its tags to
// an election tag written at the same moment.)
func TestTagsBesideServices(t *testing.T) {
	gossiptest.Check(t)
	a := start(t, testConfig("t1"))
	const rounds = 40
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range rounds {
			if _, err := a.SetTags(map[string]string{fmt.Sprintf("u%d", i): "v"}, nil); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Go(func() {
		for i := range rounds {
			key := fmt.Sprintf("%st%d", election.TagPrefix, i)
			if err := a.node.UpdateMeta(func(m map[string]string) error { m[key] = "1"; return nil }); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	meta := a.node.LocalNode().Meta
	for i := range rounds {
		if meta[fmt.Sprintf("u%d", i)] != "v" || meta[fmt.Sprintf("%st%d", election.TagPrefix, i)] != "1" {
			t.Fatalf("round %d lost: %v", i, meta)
		}
	}
	if err := a.replaceTags(map[string]string{"only": "x"}); err != nil {
		t.Fatal(err)
	}
	meta = a.node.LocalNode().Meta
	if tags := a.self().Tags; len(tags) != 1 || tags["only"] != "x" || meta[election.TagPrefix+"t0"] != "1" {
		t.Errorf("replaceTags kept %v", meta)
	}
}

func TestReloadKeys(t *testing.T) {
	gossiptest.Check(t)
	dir := t.TempDir()
	kf := filepath.Join(dir, "keys")
	os.WriteFile(kf, []byte("MDEyMzQ1Njc4OWFiY2RlZg==\n"), 0o600)
	cf := filepath.Join(dir, "c.json")
	os.WriteFile(cf, []byte(`{"key_file":"`+kf+`","tags":{"a":"1"}}`), 0o600)
	cfg := testConfig("k1")
	cfg.KeyFile, cfg.File, cfg.Tags = kf, cf, map[string]string{"a": "1"}
	a := start(t, cfg)
	os.WriteFile(kf, []byte("# rotated\nZmVkY2JhOTg3NjU0MzIxMA==\n"), 0o600)
	os.WriteFile(cf, []byte(`{"key_file":"`+kf+`","tags":{"b":"2"},"log_level":"debug"}`), 0o600)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if ks := a.keyring.Keys(); len(ks) != 1 || a.keyring.Primary().Encode() != "ZmVkY2JhOTg3NjU0MzIxMA==" {
		t.Errorf("keys after reload: %v", ks)
	}
	if tags := a.self().Tags; tags["b"] != "2" || tags["a"] != "" {
		t.Errorf("tags after reload: %v", tags)
	}
	if !a.Logger().Enabled(context.Background(), -4) {
		t.Errorf("log level not reloaded")
	}
	os.WriteFile(cf, []byte(`{"log_level":"loud"}`), 0o600)
	if err := a.Reload(); err == nil {
		t.Errorf("bad log level reloaded")
	}
	if _, err := a.SetTags(map[string]string{"elect:x": "1"}, nil); err == nil {
		t.Errorf("reserved tag accepted")
	}
}

func TestHandlerConcurrencyBound(t *testing.T) {
	gossiptest.Check(t)
	exe, _ := os.Executable()
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "counts")
	t.Setenv("LIBGOSSIP_TEST_HANDLER_OUT", out)
	t.Setenv("LIBGOSSIP_TEST_HANDLER_DIR", dir)
	cfg := testConfig("conc")
	cfg.Handlers = []HandlerConfig{{Events: []string{KindUser}, Command: []string{exe}}}
	cfg.HandlerConcurrency = 2
	a := start(t, cfg)
	for i := range 8 {
		if err := a.UserEvent("e", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	var counts []string
	gossiptest.WaitFor(t, waitLimit, "8 handler runs", func() bool {
		b, _ := os.ReadFile(out)
		counts = strings.Fields(string(b))
		return len(counts) == 8
	})
	for _, c := range counts {
		if c != "1" && c != "2" {
			t.Errorf("%s handlers ran at once, limit 2 (all: %v)", c, counts)
		}
	}
}
