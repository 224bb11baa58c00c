package monitoring_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/libgossip/libgossip/monitoring"
)

// findBrowser returns the path of a Chromium or Chrome binary, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactDir is where tests leave files for a human (screenshots):
// $LIBGOSSIP_ARTIFACTS, or libgossip-artifacts in the temporary directory.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("LIBGOSSIP_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "libgossip-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDashboardBrowser drives a headless Chromium against the dashboard of a
// live 5-member cluster: the page lists 5 alive members; after one is
// killed, it shows the member failed within 1 s of the observer declaring
// it, without a reload; a screenshot is written to the artifact directory.
func TestDashboardBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("LIBGOSSIP_CI") != "" {
			t.Fatal("no chromium found, and LIBGOSSIP_CI is set: .ci/run installs it")
		}
		t.Skip("no chromium or chrome on PATH (apt-get install chromium to run this test)")
	}
	c := newCluster(t, 5, clusterOpts{probes: true})
	if err := c.members[2].node.SetMeta(map[string]string{"role": "leader", "zone": "z0", "version": "1.4.2"}); err != nil {
		t.Fatal(err)
	}
	mons := make([]*monitoring.Monitor, len(c.members))
	for i, m := range c.members {
		mons[i] = m.mon
	}
	dash, err := monitoring.NewDashboard(mons, monitoring.WithTitle("browser test cluster"), monitoring.WithRefresh(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dash)
	defer srv.Close()
	defer dash.Close()

	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	count := func(sel string) int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+sel+`').length`))
		if err != nil {
			t.Fatalf("evaluate %s: %v", sel, err)
		}
		return n
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("members"))); err != nil {
		t.Fatalf("open dashboard: %v", err)
	}
	c.waitFor(30*time.Second, "page lists 5 alive members", func() bool {
		return count(`.card[data-state="alive"]`) == 5 && count(`#ring g[data-state="alive"]`) == 5
	})
	c.waitFor(10*time.Second, "page shows node-3's metadata", func() bool {
		txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.card[data-member="node-3"]').textContent`))
		return strings.Contains(txt, "version=1.4.2")
	})
	// A mark that a reload would erase.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__noReload = 42`)); err != nil {
		t.Fatal(err)
	}

	c.crash(4)
	var declared time.Time
	c.waitFor(30*time.Second, "page shows node-5 failed", func() bool {
		return count(`.card[data-member="node-5"][data-state="failed"]`) == 1
	})
	shown := time.Now()
	for _, e := range c.members[0].mon.Recent(0) {
		if e.Type == "failed" && e.Member == "node-5" {
			declared = e.Time // when the observer's node declared it
		}
	}
	if declared.IsZero() {
		t.Fatal("the observer's monitor recorded no failure of node-5")
	}
	lag := shown.Sub(declared)
	t.Logf("page showed node-5 failed %v after the observer declared it", lag.Round(time.Millisecond))
	if lag > time.Second {
		t.Errorf("page showed the failure %v after detection, want <= 1s", lag)
	}
	if mark, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__noReload || 0`)); err != nil || mark != 42 {
		t.Errorf("the page was reloaded (mark %d, err %v)", mark, err)
	}
	if n := count(`.card[data-state="alive"]`); n != 4 {
		t.Errorf("after the crash the page shows %d alive members, want 4", n)
	}
	if n := count(`#events li.failed`); n < 1 {
		t.Error("the timeline shows no failure")
	}

	c.waitFor(10*time.Second, "probe round trips on the page", func() bool {
		return count(`.card .rtt`) >= 3
	})
	// Rates need two samples a second apart; wait for them before the
	// picture.
	c.waitFor(10*time.Second, "message rates on the page", func() bool {
		busy, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`parseFloat(document.getElementById('t-in').textContent) > 0`))
		return busy
	})
	c.waitFor(10*time.Second, "timeline animations finished", func() bool {
		done, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`document.getAnimations().every(a => a.playState !== 'running' || a.effect.getComputedTiming().iterations === Infinity)`))
		return done
	})
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(t), "dashboard.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("dashboard screenshot: %s", path)
	dash.Close()
	cancel()
	cancelB()
	cancelA()
}
