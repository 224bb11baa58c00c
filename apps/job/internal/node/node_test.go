package node

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestAPIAndRuns(t *testing.T) {
	c := newCluster(t, 3)
	c.startN(3)
	lead := c.leader(30 * time.Second)
	var follower *tmember
	for _, m := range c.up() {
		if m != lead {
			follower = m
		}
	}
	s := newSink(t)
	base := "http://" + follower.n.Addr()

	// A write to a follower is redirected to the leader.
	spec := httpJob("tick", s.srv.URL)
	putJob(t, base, spec)
	// Bad specs and bodies are refused with clear statuses.
	bad := spec
	bad.Schedule = "sometimes"
	if st := do(t, "PUT", base+"/v1/jobs/tick", bad, nil); st != http.StatusBadRequest {
		t.Fatalf("bad spec: %d", st)
	}
	if st := do(t, "PUT", base+"/v1/jobs/other", spec, nil); st != http.StatusBadRequest {
		t.Fatalf("name mismatch: %d", st)
	}
	if st := do(t, "PUT", base+"/v1/jobs/big", strings.Repeat("x", DefaultMaxBody+1), nil); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", st)
	}
	if st := do(t, "POST", base+"/v1/internal/report", job.Command{Op: job.OpPut}, nil); st != http.StatusBadRequest {
		t.Fatalf("report of a put: %d", st)
	}

	gossiptest.WaitFor(t, 30*time.Second, "three runs in the history", func() bool {
		var runs []job.Run
		do(t, "GET", base+"/v1/jobs/tick/runs", nil, &runs)
		n := 0
		for _, r := range runs {
			if r.Status == job.Succeeded && r.Output != "" && r.Duration() >= 0 {
				n++
			}
		}
		return n >= 3
	})
	var list []JobInfo
	if st := do(t, "GET", base+"/v1/jobs", nil, &list); st != 200 || len(list) != 1 || list[0].Spec.Name != "tick" {
		t.Fatalf("list: %d %+v", st, list)
	}
	var info JobInfo
	if st := do(t, "GET", base+"/v1/jobs/tick", nil, &info); st != 200 || info.NextAt.IsZero() {
		t.Fatalf("get: %d %+v", st, info)
	}
	if st := do(t, "GET", base+"/v1/jobs/none", nil, nil); st != http.StatusNotFound {
		t.Fatalf("get missing: %d", st)
	}
	if st := do(t, "GET", base+"/v1/jobs/none/runs", nil, nil); st != http.StatusNotFound {
		t.Fatalf("history missing: %d", st)
	}

	// Disable the schedule, then run it by hand.
	spec.Disabled = true
	putJob(t, base, spec)
	// The writes below need a leader; under load leadership may move
	// between them (421: none known yet, 503: lost mid-command), so each
	// is retried until a leader answers it.
	var manual job.Run
	if st, _ := leaderDo(t, "POST", base+"/v1/jobs/tick/run", nil, &manual); st != http.StatusAccepted || !manual.Manual {
		t.Fatalf("run now: %d %+v", st, manual)
	}
	gossiptest.WaitFor(t, 20*time.Second, "the manual run in the sink", func() bool { return s.has(manual.ID()) })
	if st, _ := leaderDo(t, "POST", base+"/v1/jobs/none/run", nil, nil); st != http.StatusNotFound {
		t.Fatalf("run missing: %d", st)
	}
	// A delete answered 503 may have been applied: its retry then finds
	// nothing to delete.
	if st, unknown := leaderDo(t, "DELETE", base+"/v1/jobs/tick", nil, nil); st != http.StatusOK && (!unknown || st != http.StatusNotFound) {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := leaderDo(t, "DELETE", base+"/v1/jobs/tick", nil, nil); st != http.StatusNotFound {
		t.Fatalf("delete twice: %d", st)
	}
	if _, dups := s.stats(); dups != 0 {
		t.Fatalf("%d duplicate runs", dups)
	}
}

// A command job gets its run identity in the environment, its output
// recorded, and a failing command is retried per its policy.
func TestCommandJob(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	c := newCluster(t, 1)
	c.startN(1)
	lead := c.leader(30 * time.Second)
	base := "http://" + lead.n.Addr()
	ok := job.Spec{Name: "echo", Schedule: "@every 1s", Command: []string{"sh", "-c", `echo "$JOB_NAME $JOB_ATTEMPT $GREETING"`}, Env: []string{"GREETING=hi"}}
	fail := job.Spec{Name: "fail", Schedule: "@every 1h", Command: []string{"sh", "-c", "echo boom; exit 3"}, Retries: 1, Backoff: 100 * time.Millisecond, Disabled: true}
	putJob(t, base, ok)
	putJob(t, base, fail)
	do(t, "POST", base+"/v1/jobs/fail/run", nil, nil)
	gossiptest.WaitFor(t, 30*time.Second, "echo output and the failed retry", func() bool {
		var a, b []job.Run
		do(t, "GET", base+"/v1/jobs/echo/runs", nil, &a)
		do(t, "GET", base+"/v1/jobs/fail/runs", nil, &b)
		return len(a) > 0 && a[0].Output == "echo 1 hi\n" &&
			len(b) == 1 && b[0].Status == job.Failed && b[0].Attempt == 2 && strings.Contains(b[0].Error, "exit status 3") && b[0].Output == "boom\n"
	})
}

func TestNewValidates(t *testing.T) {
	c := newCluster(t, 1)
	m := c.start("m1", "")
	for _, opts := range [][]Option{
		{WithTick(0)}, {WithMaxRuns(0)}, {WithLogger(nil)}, {WithTags(map[string]string{TagAPI: "x"})},
	} {
		if _, err := New(m.g, t.TempDir(), opts...); err == nil {
			t.Errorf("New accepted %v", opts)
		}
	}
	if _, err := New(m.g, ""); err == nil {
		t.Error("New accepted an empty data dir")
	}
}

func TestAdvertise(t *testing.T) {
	tests := []struct{ bound, gossip, want string }{
		{"127.0.0.1:80", "10.0.0.1:7946", "127.0.0.1:80"},
		{"0.0.0.0:80", "10.0.0.1:7946", "10.0.0.1:80"},
		{"[::]:80", "[fd00::1]:7946", "[fd00::1]:80"},
		{"0.0.0.0:80", "m1", "0.0.0.0:80"},
		{"junk", "10.0.0.1:7946", "junk"},
	}
	for _, tt := range tests {
		if got := advertise(tt.bound, tt.gossip); got != tt.want {
			t.Errorf("advertise(%q, %q) = %q, want %q", tt.bound, tt.gossip, got, tt.want)
		}
	}
}
