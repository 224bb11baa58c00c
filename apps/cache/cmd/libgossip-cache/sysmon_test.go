package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/libgossip/libgossip/apps/cache/internal/app"
)

// godebug returns the GODEBUG the running process p started its
// program with (its current environment, after any new start).
func (p *proc) godebug(t *testing.T) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
	if err != nil {
		t.Skip("no /proc: ", err)
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			return v, true
		}
	}
	return "", false
}

// TestSysmonAwake: the binary runs with app.SysmonGODEBUG by default
// (same process, its program started again), not with
// -sysmon-awake=false, and keeps a schedtrace the user set.
func TestSysmonAwake(t *testing.T) {
	addrs := []string{"-resp", "127.0.0.1:0", "-gossip", "127.0.0.1:0", "-replicas", "1"}
	p := start(t, addrs...)
	if v, _ := p.godebug(t); !strings.Contains(v, app.SysmonGODEBUG) {
		t.Errorf("default: GODEBUG %q, want %s in it", v, app.SysmonGODEBUG)
	}
	p.kill()

	p = start(t, append([]string{"-sysmon-awake=false"}, addrs...)...)
	if v, ok := p.godebug(t); ok && strings.Contains(v, "schedtrace") {
		t.Errorf("-sysmon-awake=false: GODEBUG %q", v)
	}
	p.kill()

	t.Setenv("GODEBUG", "schedtrace=0")
	p = start(t, addrs...)
	if v, _ := p.godebug(t); v != "schedtrace=0" {
		t.Errorf("the user's GODEBUG schedtrace=0 became %q", v)
	}
}
