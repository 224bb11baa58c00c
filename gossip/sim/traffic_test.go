package sim

import (
	"math"
	"testing"
	"time"
)

// TestTrafficByKind: the per-kind figures add up to the total, and they
// show what a run is made of. Without loss, on a formed cluster, every
// member probes once a second (a ping and an ack) and nothing needs
// indirect probes; under loss, ping-reqs appear and suspicions of healthy
// members are gossiped, as suspect and alive (refutation) packets.
func TestTrafficByKind(t *testing.T) {
	for _, loss := range []float64{0, 0.2} {
		r := mustRun(t, Options{Scenario: ScenarioFalsePos, Nodes: 40, Seed: 3, Prebuilt: true, Loss: loss, Duration: 30 * time.Second})
		sum, sumB := 0.0, 0.0
		for _, v := range r.MsgsByKind {
			sum += v
		}
		for _, v := range r.BytesByKind {
			sumB += v
		}
		if math.Abs(sum-r.MsgsPerNodeSec) > 1e-9 {
			t.Errorf("loss %v: kinds %v add up to %v, want the total %v", loss, r.MsgsByKind, sum, r.MsgsPerNodeSec)
		}
		if math.Abs(sumB-r.BytesPerNodeSec) > 1e-6 {
			t.Errorf("loss %v: bytes by kind %v add up to %v, want the total %v", loss, r.BytesByKind, sumB, r.BytesPerNodeSec)
		}
		k := r.MsgsByKind
		if loss == 0 {
			if k["ping"] < 0.95 || k["ping"] > 1.05 || k["ack"] != k["ping"] || k["ping-req"] != 0 || k["suspect"] != 0 {
				t.Errorf("no loss: %v, want one ping and one ack per member-second, no ping-req or suspect", k)
			}
			if r.ProbesFailed != 0 {
				t.Errorf("no loss: %d probes failed", r.ProbesFailed)
			}
			continue
		}
		if k["ping-req"] == 0 || k["suspect"] == 0 || k["alive"] == 0 || k["ack"] >= 2*k["ping"] {
			t.Errorf("loss %v: %v, want ping-reqs, gossiped suspicions and refutations, and fewer acks than twice the pings", loss, k)
		}
		if r.ProbesFailed == 0 || r.Refutations == 0 {
			t.Errorf("loss %v: %d probes failed, %d refutations; want some of each", loss, r.ProbesFailed, r.Refutations)
		}
	}
}

func TestTrafficCount(t *testing.T) {
	var tr Traffic
	tr.count([]byte{1, 1, 0}, false) // a ping
	tr.count([]byte{1, 5, 0}, false) // a gossip packet led by an alive
	tr.count([]byte{1, 8, 0}, true)  // a full-state exchange over a stream
	tr.count([]byte{1}, false)       // a header alone
	tr.count([]byte{1, 200}, false)  // no known type
	got := tr.PerKind(2)
	want := map[string]float64{"ping": 0.5, "alive": 0.5, "stream push-pull": 0.5, "empty": 1}
	if len(got) != len(want) {
		t.Fatalf("PerKind = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("PerKind[%q] = %v, want %v", k, got[k], v)
		}
	}
	gotB := tr.BytesPerKind(2)
	wantB := map[string]float64{"ping": 1.5, "alive": 1.5, "stream push-pull": 1.5, "empty": 1.5}
	if len(gotB) != len(wantB) {
		t.Fatalf("BytesPerKind = %v, want %v", gotB, wantB)
	}
	for k, v := range wantB {
		if gotB[k] != v {
			t.Errorf("BytesPerKind[%q] = %v, want %v", k, gotB[k], v)
		}
	}
	if d := tr.sub(tr); d != (Traffic{}) {
		t.Errorf("t.sub(t) = %+v, want zero", d)
	}
}

// TestSteadyTrafficFlat: once every table agrees, a member's traffic does
// not grow with the cluster. Without loss a formed cluster only probes (a
// ping and an ack a member-second) and makes its periodic anti-entropy,
// which sends a digest and, tables being equal, no table: bytes per
// member-second at 256 members are those at 64, and no full-state
// exchange is made. (Periodic full-state exchanges cost 2·N records per
// interval, 1.6× the bytes at 256 what they cost at 64.)
func TestSteadyTrafficFlat(t *testing.T) {
	var bytes [2]float64
	for i, n := range []int{64, 256} {
		// 4 minutes: two periodic intervals at 256 (30 s × 4).
		r := mustRun(t, Options{Scenario: ScenarioConverge, Nodes: n, Seed: 1, Prebuilt: true, Duration: 4 * time.Minute})
		bytes[i] = r.BytesPerNodeSec
		t.Logf("%d members: %.1f msgs, %.1f bytes per member-second: %v", n, r.MsgsPerNodeSec, r.BytesPerNodeSec, r.BytesByKind)
		if r.MsgsByKind["digest"] == 0 || r.MsgsByKind["stream push-pull"] != 0 {
			t.Errorf("%d members: %v, want digests and no full-state exchange", n, r.MsgsByKind)
		}
	}
	if bytes[1] > 1.02*bytes[0] {
		t.Errorf("bytes per member-second: %.1f at 256 members, %.1f at 64; want the same", bytes[1], bytes[0])
	}
}
