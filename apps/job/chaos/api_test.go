package chaos

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
)

// putJob adds or updates a job with the real CLI.
func putJob(t *testing.T, bin, dir, api string, s job.Spec) {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, s.Name+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "put", "-api", api, path).CombinedOutput(); err != nil {
		t.Fatalf("put %s: %v\n%s", s.Name, err, out)
	}
}

// sameRuns reports whether two histories record the same runs.
func sameRuns(a, b []job.Run) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID() != b[i].ID() || a[i].Status != b[i].Status || a[i].Token != b[i].Token || a[i].Starts != b[i].Starts {
			return false
		}
	}
	return true
}

// poll calls cond every 100ms until it holds or d passes.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tk := time.NewTicker(100 * time.Millisecond)
	defer tk.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tk.C
	}
	return true
}
