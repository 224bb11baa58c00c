package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the real libgossip-job into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "libgossip-job")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/libgossip-job")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// proc is one libgossip-job agent process. Its ports and data directory
// stay the same across restarts, as a container's would.
type proc struct {
	id, dir           string
	gossip, api, raft string
	join              []string
	bin, preset       string
	cmd               *exec.Cmd
	exited            chan struct{}
	starts            int
	stopped           bool
}

// start starts (or restarts) the agent in its own process group, so that
// a signal to the group reaches the agent and the job commands it runs.
func (p *proc) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(p.dir, "agent.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(p.bin, "agent", "-id", p.id, "-gossip", p.gossip, "-api", p.api, "-raft", p.raft,
		"-data", filepath.Join(p.dir, "data"), "-expect", "5", "-preset", p.preset, "-join", strings.Join(p.join, ","))
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.id, err)
	}
	p.starts++
	p.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(p.cmd, p.exited)
}

func (p *proc) up() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the agent's process group.
func (p *proc) signal(sig syscall.Signal) error {
	if !p.up() {
		return fmt.Errorf("%s is not running", p.id)
	}
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// kill SIGKILLs the process group and waits for the agent to exit.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit after SIGKILL", p.id)
	}
}

var client = &http.Client{Timeout: 2 * time.Second}

// getJSON GETs http://api/path into v.
func getJSON(api, path string, v any) error {
	res, err := client.Get("http://" + api + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s%s: %s", api, path, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// leaderOf asks p who leads; it returns "" when p does not know or does
// not answer.
func leaderOf(p *proc) string {
	if !p.up() || p.stopped {
		return ""
	}
	var l struct {
		ID string `json:"id"`
	}
	if getJSON(p.api, "/v1/leader", &l) != nil {
		return ""
	}
	return l.ID
}

// leader returns the member that says it leads and that a majority of the
// members answering agree on, waiting up to d for one other than not.
func leader(procs []*proc, not string, d time.Duration) (*proc, error) {
	deadline := time.Now().Add(d)
	tk := time.NewTicker(20 * time.Millisecond)
	defer tk.Stop()
	for ; ; <-tk.C {
		votes := map[string]int{}
		for _, p := range procs {
			if id := leaderOf(p); id != "" {
				votes[id]++
			}
		}
		for _, p := range procs {
			if p.id != not && votes[p.id] >= 3 && leaderOf(p) == p.id {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, errors.New("no leader agreed on")
		}
	}
}

// logsTail returns the last lines of every member's log.
func logsTail(procs []*proc) string {
	var sb strings.Builder
	for _, p := range procs {
		b, _ := os.ReadFile(filepath.Join(p.dir, "agent.log"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		fmt.Fprintf(&sb, "--- %s (%d starts)\n%s\n", p.id, p.starts, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return sb.String()
}
