package bench

import "testing"

// TestScaleSteadyTraffic: the scale table's traffic is the steady state.
// Without loss or fault a formed cluster only probes, one ping and one ack
// a member-second, and sends a few table digests (periodic anti-entropy
// between tables that agree); formation's announcements and exchanges
// are over before the window opens.
func TestScaleSteadyTraffic(t *testing.T) {
	r, err := Scale(40, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Converged || r.MsgsPerNodeSec < 1.95 || r.MsgsPerNodeSec > 2.1 || r.BytesPerNodeSec > 30 {
		t.Errorf("N=40: converged %v, %.2f msgs and %.1f bytes per member-second; want about 2 msgs (a ping and an ack) and under 30 bytes",
			r.Converged, r.MsgsPerNodeSec, r.BytesPerNodeSec)
	}
}
