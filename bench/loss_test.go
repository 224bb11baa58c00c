package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func TestLossTally(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	events := []Event{
		{Observer: "a", Subject: "b", Type: Failed, Time: at(-1)},              // before the window: ignored
		{Observer: "a", Subject: "b", Type: Failed, Time: at(1)},               // false
		{Observer: "c", Subject: "b", Type: Failed, Time: at(2)},               // false, same member
		{Observer: "a", Subject: "c", Type: Failed, Time: at(3)},               // false, second member
		{Observer: "a", Subject: "s", Type: Failed, Time: at(3)},               // the sick member: not false
		{Observer: "b", Subject: "s", Type: Failed, Time: at(3)},               // the sick member again
		{Observer: "s", Subject: "a", Type: Failed, Time: at(3)},               // by the sick member
		{Observer: "a", Subject: "b", Type: Suspect, Time: at(1), Local: true}, // counted
		{Observer: "c", Subject: "b", Type: Suspect, Time: at(1)},              // heard of, not raised: not counted
		{Observer: "a", Subject: "s", Type: Suspect, Time: at(1), Local: true}, // of the sick member: not counted
		{Observer: "s", Subject: "a", Type: Suspect, Time: at(1), Local: true}, // by the sick member: not counted
		{Observer: "b", Subject: "b", Type: Refuted, Time: at(2)},              // counted
		{Observer: "s", Subject: "s", Type: Refuted, Time: at(4)},              // counted
		{Observer: "a", Subject: "b", Type: Join, Time: at(5)},                 // ignored
		{Observer: "c", Subject: "b", Type: Refuted, Time: at(-2)},             // before: ignored
	}
	var r LossRunResult
	lossTally(&r, events, t0, "s", 4)
	want := LossRunResult{FalseFailures: 3, FalselyFailed: 2, Suspicions: 1, Refutations: 2, SickFailedShare: 0.5, FailedBySick: 1}
	if r != want {
		t.Errorf("lossTally = %+v, want %+v", r, want)
	}
	r = LossRunResult{N: 4, WindowSeconds: 1800, FalseFailures: 6}
	if got := r.FalsePerMemberHour(); got != 3 {
		t.Errorf("FalsePerMemberHour(%+v) = %v, want 3", r, got)
	}
}

func TestLossSection(t *testing.T) {
	sec := func(s string) []byte { return []byte(LossBegin + "\n" + s + "\n" + LossEnd + "\n") }
	doc := []byte("# Benchmarks\n\ntable\n")
	got := ReplaceLossSection(doc, sec("one"))
	if want := "# Benchmarks\n\ntable\n\n" + string(sec("one")); string(got) != want {
		t.Fatalf("append: got %q, want %q", got, want)
	}
	if s := LossSection(got); !bytes.Equal(s, sec("one")) {
		t.Errorf("LossSection = %q, want %q", s, sec("one"))
	}
	withTail := append(append([]byte(nil), got...), "## after\n"...)
	got = ReplaceLossSection(withTail, sec("two"))
	if want := "# Benchmarks\n\ntable\n\n" + string(sec("two")) + "## after\n"; string(got) != want {
		t.Errorf("replace: got %q, want %q", got, want)
	}
	other := "<!-- cache:begin -->\ncache\n<!-- cache:end -->\n"
	both := ReplaceSection(got, []byte(other))
	secs := Sections(both)
	if len(secs) != 2 || !bytes.Equal(secs[0], sec("two")) || string(secs[1]) != other {
		t.Errorf("Sections = %q, want the loss and the cache sections", secs)
	}
	carried := []byte("# Benchmarks, rewritten\n")
	for _, s := range secs {
		carried = ReplaceSection(carried, s)
	}
	if want := "# Benchmarks, rewritten\n\n" + string(sec("two")) + "\n" + other; string(carried) != want {
		t.Errorf("carried over: got %q, want %q", carried, want)
	}
	if LossSection(doc) != nil || LossSection([]byte(LossBegin+" no end")) != nil {
		t.Errorf("LossSection found a section where there is none")
	}
}

// closer is a gossip.Handler that drops packets and closes streams.
type closer struct{}

func (closer) HandlePacket(gossip.Packet) {}
func (closer) HandleStream(c net.Conn)    { _ = c.Close() }

func TestDialFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDialFaults(1)
	g := gossipDials{Transport: tr, d: d}
	if err := g.Start(ctx, closer{}); err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	c, err := g.DialStream(ctx, g.Addr())
	if err != nil {
		t.Fatalf("rate 0: DialStream: %v", err)
	}
	_ = c.Close()
	d.SetRate(1)
	if _, err := g.DialStream(ctx, g.Addr()); !errors.Is(err, ErrDialRefused) {
		t.Fatalf("rate 1: DialStream error %v, want ErrDialRefused", err)
	}
	if got := d.Refused(); got != 1 {
		t.Errorf("Refused() = %d after one refused dial, want 1", got)
	}
	d.SetRate(0.3)
	for range 1000 {
		d.refuse()
	}
	if got := d.Refused() - 1; got < 250 || got > 350 {
		t.Errorf("rate 0.3: %d of 1000 dials refused, want about 300", got)
	}
}

// TestRunLoss is the loss scenario in small: 8 members at the fast
// settings, 10% packet loss, 30% of stream dials failing, latency, and one
// member cut off completely for 4s. Only libgossip runs; memberlist's
// figures belong to `make bench-loss`.
func TestRunLoss(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sc := LossScenario{Name: "test", Title: "test", Loss: 0.10, DialFail: 0.30, Delay: 2 * time.Millisecond, Jitter: 2 * time.Millisecond, SickLoss: 1}
	o := LossOptions{N: 8, Params: FastParams(), Scenario: sc, Window: 4 * time.Second, ConvergeLimit: 20 * time.Second, HealLimit: 30 * time.Second}
	r, err := RunLoss(ctx, LibGossip{}, o)
	if err != nil {
		t.Fatalf("RunLoss: %v", err)
	}
	t.Logf("%+v", r)
	if r.ConvergeMissing > 0 {
		t.Errorf("RunLoss: %d members not converged before the window", r.ConvergeMissing)
	}
	if r.WindowSeconds < 4 {
		t.Errorf("RunLoss: window %.2fs, want at least 4s", r.WindowSeconds)
	}
	if r.SickFailedShare == 0 {
		t.Errorf("RunLoss: no healthy member declared the cut-off member failed: %+v", r)
	}
	if r.Refutations == 0 {
		t.Errorf("RunLoss: the cut-off member never refuted its failure: %+v", r)
	}
	if r.Detect.Missing > 0 {
		t.Errorf("RunLoss: the crash after the window was not detected by %d members: %+v", r.Detect.Missing, r)
	}
	if r.Heal.Missing > 0 {
		t.Errorf("RunLoss: %d views not whole %v after the loss stopped: %+v", r.Heal.Missing, o.HealLimit, r)
	}
}

func TestLossReport(t *testing.T) {
	p := DefaultLossPlan()
	p.Impls = []Impl{LibGossip{}, Memberlist{}}
	p.Runs = 2
	res := &LossResults{Plan: p, Runs: map[int]map[string][]LossRunResult{}}
	cases := p.Cases()
	for ci, c := range cases {
		if c.N != 64 || c.Scenario.Name != "30+30s" {
			continue
		}
		res.Runs[ci] = map[string][]LossRunResult{}
		for k, name := range []string{"libgossip", "memberlist"} {
			for run := range 2 {
				res.Runs[ci][name] = append(res.Runs[ci][name], LossRunResult{Impl: name, N: 64, WindowSeconds: 30,
					FalseFailures: 10 * k * (run + 1), Detect: Spread{Max: float64(2 + k + run), Missing: k * run}, Heal: Spread{Max: 1, Missing: run}})
			}
		}
	}
	var md, pic bytes.Buffer
	if err := res.WriteMarkdown(&md, "bench/frontier.svg", "cmd"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{LossBegin, LossEnd, "### 30% loss + 30% stream dials fail, fast settings, N = 64",
		"### 30% loss + 30% stream dials fail, lan settings, N = 64", "| false failure declarations | 0 | 15 (10–20) | 0.00 |",
		"| false failures per member-hour | 0.0 | 28.1 (18.8–37.5) | 0.00 |", "≥1.00 [1 missing]", "](bench/frontier.svg)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "50% loss") || strings.Contains(md.String(), "sick member failed") {
		t.Errorf("markdown shows cases that did not run:\n%s", md.String())
	}
	// a report rendered from saved results is the same report
	saved, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back LossResults
	if err := json.Unmarshal(saved, &back); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := back.WriteMarkdown(&again, "bench/frontier.svg", "cmd"); err != nil {
		t.Fatal(err)
	}
	if again.String() != md.String() {
		t.Errorf("report from saved results differs:\n%s\nwant:\n%s", again.String(), md.String())
	}
	if err := res.WriteSVG(&pic); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&pic)
	polylines, labels, lower := 0, 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("frontier SVG is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "polyline" {
				polylines++
			}
		case xml.CharData:
			switch string(e) {
			case "fast", "lan":
				labels++
			case "≥ fast", "≥ lan":
				lower++
			}
		}
	}
	// one panel (N = 64, 30+30s), one line per library through fast and
	// lan; memberlist's points are lower bounds (a member missed the crash)
	if polylines != 2 || labels != 2 || lower != 2 {
		t.Errorf("frontier SVG: %d lines, %d setting labels and %d lower bounds, want 2, 2 and 2", polylines, labels, lower)
	}
}

func TestParamsReachConfig(t *testing.T) {
	p := FastParams()
	p.SuspicionMult, p.FlapThreshold = 5, -1
	lg := LibGossip{}.Config(p)
	if lg.SuspicionMult != 5 || lg.FlapThreshold != -1 || lg.ProbeInterval != 200*time.Millisecond || lg.GossipInterval != 50*time.Millisecond {
		t.Errorf("LibGossip.Config(%+v) = SuspicionMult %d, FlapThreshold %d, probe %v, gossip %v", p, lg.SuspicionMult, lg.FlapThreshold, lg.ProbeInterval, lg.GossipInterval)
	}
	if d := (LibGossip{}).Config(Params{}); d.FlapThreshold != gossip.LANConfig().FlapThreshold || d.SuspicionMult != gossip.LANConfig().SuspicionMult {
		t.Errorf("LibGossip.Config(zero) changed the LAN preset's damping or suspicion: %+v", d)
	}
	if ml := (Memberlist{}).Config(p); ml.SuspicionMult != 5 || ml.ProbeTimeout != 100*time.Millisecond {
		t.Errorf("Memberlist.Config(%+v) = SuspicionMult %d, probe timeout %v", p, ml.SuspicionMult, ml.ProbeTimeout)
	}
	names := map[string]bool{}
	for _, s := range LossSettings() {
		if names[s.Name] {
			t.Errorf("LossSettings: %q twice", s.Name)
		}
		names[s.Name] = true
	}
}

type fakeCounterNode struct {
	Node
	c map[string]float64
}

func (f fakeCounterNode) counters() map[string]float64 { return f.c }

func TestLossTrace(t *testing.T) {
	t0 := time.Unix(100, 0)
	events := []Event{
		{Observer: "a", Subject: "b", Type: Failed, Time: t0.Add(-time.Second), Detail: "before"},
		{Observer: "a", Subject: "b", Type: Failed, Time: t0.Add(1500 * time.Millisecond), Detail: "local x"},
		{Observer: "a", Subject: "s", Type: Failed, Time: t0.Add(time.Second), Detail: "of the sick member"},
		{Observer: "a", Subject: "b", Type: Suspect, Time: t0.Add(time.Second), Detail: "a suspicion"},
	}
	var b bytes.Buffer
	traceFalse(&b, "lib", events, t0, "s")
	if got, want := b.String(), "lib    1.500s a failed b: local x\n"; got != want {
		t.Errorf("traceFalse wrote %q, want %q", got, want)
	}
	b.Reset()
	traceCounters(&b, "lib", []Node{
		fakeCounterNode{c: map[string]float64{"late_ticks": 2, "max_awareness": 3}},
		fakeCounterNode{c: map[string]float64{"late_ticks": 5, "max_awareness": 1}},
		nil, // a node without counters
	})
	if got, want := b.String(), "lib counters: late_ticks=7 max_awareness=3\n"; got != want {
		t.Errorf("traceCounters wrote %q, want %q", got, want)
	}
}
