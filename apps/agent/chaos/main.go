//go:build chaos

// Command chaos injects faults into five agent containers and measures, per
// fault: detection time at every live member, false failures of healthy
// members, and the time until the membership is whole after the heal. It
// writes the table to docs/chaos.md. Run it with `make chaos` (it needs the
// libgossip-agent image, Docker and root for nsenter/iptables).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

const network = "lgchaos"

var (
	n     = flag.Int("n", 5, "agents")
	reps  = flag.Int("reps", 3, "repetitions of each fault")
	image = flag.String("image", "libgossip-agent:latest", "agent image")
	out   = flag.String("out", "docs/chaos.md", "report file")
)

func name(i int) string { return fmt.Sprintf("lgc%d", i+1) }

func docker(args ...string) (string, error) {
	b, err := exec.Command("docker", args...).CombinedOutput()
	return strings.TrimSpace(string(b)), err
}

func must(s string, err error) string {
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: %v: %s\n", err, s)
		cleanup()
		os.Exit(1)
	}
	return s
}

// ip is agent i's address on the network, "" while it has none.
func ip(i int) string {
	s, err := docker("inspect", "-f", "{{with index .NetworkSettings.Networks \""+network+"\"}}{{.IPAddress}}{{end}}", name(i))
	if err != nil {
		return ""
	}
	return s
}

// nsenter runs iptables in the network namespace of process pid.
func nsenter(pid string, rule []string) {
	b, err := exec.Command("nsenter", append([]string{"-t", pid, "-n", "iptables"}, rule...)...).CombinedOutput()
	must(string(b), err)
}

func pid(i int) string { return must(docker("inspect", "-f", "{{.State.Pid}}", name(i))) }

func cleanup() {
	for i := range *n {
		docker("rm", "-f", name(i))
	}
	docker("network", "rm", network)
}

func run(i int) {
	must(docker("run", "-d", "--name", name(i), "--hostname", name(i), "--network", network, "--network-alias", "agent",
		"--cap-add", "NET_ADMIN", *image, "agent", "-node", name(i), "-bind", "0.0.0.0:7946", "-http-addr", "0.0.0.0:8946",
		"-join", "dns+agent:7946", "-preset", "lan", "-snapshot", "/peers", "-rejoin-interval", "5s", "-log-level", "warn"))
}

type member struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

var hc = &http.Client{Timeout: 2 * time.Second}

// alive returns the alive members agent i sees (nil if unreachable).
func alive(i int) []string {
	addr := ip(i)
	if addr == "" {
		return nil
	}
	resp, err := hc.Get("http://" + addr + ":8946/v1/members?status=alive")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var ms []member
	if json.NewDecoder(resp.Body).Decode(&ms) != nil {
		return nil
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// whole waits until every agent sees all n alive; it returns the time it
// took, or -1 after the deadline.
func whole(from time.Time, d time.Duration) time.Duration {
	for time.Since(from) < d {
		ok := true
		for i := range *n {
			if len(alive(i)) != *n {
				ok = false
				break
			}
		}
		if ok {
			return time.Since(from)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return -1
}

// watcher follows every agent's event stream and records member-failed
// events: (observer, failed member) -> first time seen.
type watcher struct {
	mu     sync.Mutex
	failed map[[2]string]time.Time
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func watch() *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{failed: map[[2]string]time.Time{}, cancel: cancel}
	for i := range *n {
		w.wg.Go(func() {
			for ctx.Err() == nil {
				if addr := ip(i); addr != "" {
					w.follow(ctx, name(i), addr)
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		})
	}
	return w
}

func (w *watcher) follow(ctx context.Context, observer, addr string) {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+":8946/v1/stream?types=member-failed", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e struct {
			Member member `json:"member"`
		}
		if json.Unmarshal([]byte(d), &e) != nil {
			continue
		}
		k := [2]string{observer, e.Member.Name}
		w.mu.Lock()
		if _, seen := w.failed[k]; !seen {
			w.failed[k] = time.Now()
		}
		w.mu.Unlock()
	}
}

func (w *watcher) reset() {
	w.mu.Lock()
	w.failed = map[[2]string]time.Time{}
	w.mu.Unlock()
}

// detections returns, for every live observer (not a victim), the time
// from t0 until it saw every victim failed (-1 if it did not), and the
// failures of non-victims reported by non-victims.
func (w *watcher) detections(t0 time.Time, victims []string) (det []time.Duration, falses int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range *n {
		obs := name(i)
		if slices.Contains(victims, obs) {
			continue
		}
		var worst time.Duration
		for _, v := range victims {
			at, ok := w.failed[[2]string{obs, v}]
			if !ok {
				worst = -1
				break
			}
			worst = max(worst, at.Sub(t0))
		}
		if len(victims) > 0 {
			det = append(det, worst)
		}
	}
	for k := range w.failed {
		if !slices.Contains(victims, k[0]) && !slices.Contains(victims, k[1]) {
			falses++
		}
	}
	return det, falses
}

type result struct {
	fault          string
	reps           int
	det            []time.Duration
	missed, falses int
	heal           []time.Duration
	healFail       int
	note           string
}

func (r *result) add(det []time.Duration, falses int, heal time.Duration) {
	r.reps++
	for _, d := range det {
		if d < 0 {
			r.missed++
		} else {
			r.det = append(r.det, d)
		}
	}
	r.falses += falses
	if heal < 0 {
		r.healFail++
	} else {
		r.heal = append(r.heal, heal)
	}
}

func waitDetect(w *watcher, t0 time.Time, victims []string, d time.Duration) {
	for time.Since(t0) < d {
		det, _ := w.detections(t0, victims)
		if !slices.Contains(det, -1) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "–"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("%.1f s", s[int(p*float64(len(s)-1)+0.5)].Seconds())
}

func main() {
	flag.Parse()
	start := time.Now()
	cleanup()
	must(docker("network", "create", network))
	for i := range *n {
		run(i)
	}
	if whole(time.Now(), 60*time.Second) < 0 {
		must("cluster did not form", fmt.Errorf("setup"))
	}
	w := watch()
	var results []*result
	fault := func(label, note string, victims []int, inject, heal func(), expectDetect bool) {
		r := &result{fault: label, note: note}
		for range *reps {
			w.reset()
			var vs []string
			for _, v := range victims {
				vs = append(vs, name(v))
			}
			t0 := time.Now()
			inject()
			if expectDetect {
				waitDetect(w, t0, vs, 30*time.Second)
			} else {
				time.Sleep(20 * time.Second) // the fault lasts 20 s
			}
			det, falses := w.detections(t0, vs)
			if !expectDetect {
				det = nil
				_, falses = w.detections(t0, nil) // every failure is false
			}
			t1 := time.Now()
			heal()
			h := whole(t1, 60*time.Second)
			r.add(det, falses, h)
			fmt.Printf("%s: detect %v falses %d heal %v\n", label, det, falses, h)
			time.Sleep(2 * time.Second) // settle between repetitions
		}
		results = append(results, r)
	}
	fault("docker kill -s KILL (1 member)", "restart: docker start", []int{4},
		func() { must(docker("kill", "-s", "KILL", name(4))) }, func() { must(docker("start", name(4))) }, true)
	fault("docker pause (1 member)", "heal: unpause", []int{3},
		func() { must(docker("pause", name(3))) }, func() { must(docker("unpause", name(3))) }, true)
	fault("network disconnect (1 member)", "heal: connect", []int{2},
		func() { must(docker("network", "disconnect", network, name(2))) },
		func() { must(docker("network", "connect", "--alias", "agent", network, name(2))) }, true)
	fault("network disconnect (2 members)", "heal: connect", []int{1, 2},
		func() {
			must(docker("network", "disconnect", network, name(1)))
			must(docker("network", "disconnect", network, name(2)))
		},
		func() {
			must(docker("network", "connect", "--alias", "agent", network, name(1)))
			must(docker("network", "connect", "--alias", "agent", network, name(2)))
		}, true)
	lossRule := []string{"INPUT", "-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"}
	fault("30% inbound packet loss (1 member, 20 s)", "no failure expected", nil,
		func() {
			nsenter(pid(0), append([]string{"-A"}, lossRule...))
		},
		func() {
			nsenter(pid(0), append([]string{"-D"}, lossRule...))
		}, false)
	// Total outage: every agent killed, then all started again; no seed is
	// reachable at first, they re-form from DNS and their snapshots.
	{
		r := &result{fault: "total outage (kill all, start all)", note: "heal = start of all to whole"}
		for range *reps {
			for i := range *n {
				must(docker("kill", "-s", "KILL", name(i)))
			}
			t1 := time.Now()
			for i := range *n {
				must(docker("start", name(i)))
			}
			h := whole(t1, 60*time.Second)
			r.add(nil, 0, h)
			fmt.Printf("total outage: whole after %v\n", h)
		}
		results = append(results, r)
	}
	// Rolling restart: docker restart (SIGTERM: leave, then start) one at a
	// time, waiting for a whole cluster in between.
	{
		r := &result{fault: "rolling restart (docker restart each)", note: "graceful leave; heal = whole after each"}
		for range *reps {
			w.reset()
			t0 := time.Now()
			var worst time.Duration
			ok := true
			for i := range *n {
				t1 := time.Now()
				must(docker("restart", "-t", "10", name(i)))
				h := whole(t1, 60*time.Second)
				if h < 0 {
					ok = false
				}
				worst = max(worst, h)
			}
			_, falses := w.detections(t0, nil)
			if !ok {
				worst = -1
			}
			r.add(nil, falses, worst)
			fmt.Printf("rolling restart: falses %d worst whole %v\n", falses, worst)
		}
		results = append(results, r)
	}
	w.cancel()
	w.wg.Wait()
	size := must(docker("image", "inspect", "-f", "{{.Size}}", *image))
	cleanup()
	write(results, size, time.Since(start))
}

func write(rs []*result, size string, took time.Duration) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Chaos run\n\nWritten by `make chaos` (apps/agent/chaos) on %s: %d agent containers (image `%s`, %s bytes, FROM scratch),\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), *n, *image, size)
	fmt.Fprintf(&b, "preset lan, seeds `dns+agent:7946` on a user-defined network, snapshot in each container, rejoin every 5 s. Run took %s.\n\n", took.Round(time.Second))
	b.WriteString("Detection: time from the fault until each live member (not a victim) reported every victim failed, over all repetitions.\n")
	b.WriteString("False failures: failures of non-victims reported by non-victims (must be 0). Heal: time from the heal until every member sees all alive.\n\n")
	b.WriteString("| fault | reps | detect p50 | detect max | missed detections | false failures | heal p50 | heal max | heal timeouts | note |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	pass := true
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %d | %d | %s | %s | %d | %s |\n", r.fault, r.reps, pct(r.det, 0.5), pct(r.det, 1),
			r.missed, r.falses, pct(r.heal, 0.5), pct(r.heal, 1), r.healFail, r.note)
		if r.missed > 0 || r.falses > 0 || r.healFail > 0 {
			pass = false
		}
	}
	verdict := "PASS: every fault detected at every live member, no false failure, whole after every heal."
	if !pass {
		verdict = "FAIL: see the missed detections, false failures or heal timeouts above."
	}
	fmt.Fprintf(&b, "\n%s\n", verdict)
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(b.String())
	if !pass {
		os.Exit(1)
	}
}
