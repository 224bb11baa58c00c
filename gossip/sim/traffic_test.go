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
		sum := 0.0
		for _, v := range r.MsgsByKind {
			sum += v
		}
		if math.Abs(sum-r.MsgsPerNodeSec) > 1e-9 {
			t.Errorf("loss %v: kinds %v add up to %v, want the total %v", loss, r.MsgsByKind, sum, r.MsgsPerNodeSec)
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
	if d := tr.sub(tr); d != (Traffic{}) {
		t.Errorf("t.sub(t) = %+v, want zero", d)
	}
}
