package bench

import (
	"math"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/sim"
)

// ScaleResult is one simulator run (libgossip only, virtual time, LAN
// preset).
type ScaleResult struct {
	N    int    `json:"n"`
	Seed uint64 `json:"seed"`
	// Converged is false when converge did not finish within the limit.
	Converged bool `json:"converged"`
	// ConvergeMax is the virtual time until the last member saw all
	// others alive, in seconds; ConvergeRounds is that in gossip
	// intervals.
	ConvergeMax    float64 `json:"converge_max_s"`
	ConvergeRounds float64 `json:"converge_rounds"`
	// DetectP50 and DetectMax are from the crash to the members'
	// failure declarations, in seconds; FirstSuspect to the first
	// suspicion.
	DetectP50    float64 `json:"detect_p50_s"`
	DetectMax    float64 `json:"detect_max_s"`
	FirstSuspect float64 `json:"first_suspect_s"`
	// MsgsPerNodeSec and BytesPerNodeSec are the steady state: sent
	// traffic per member-second over ScaleWindow of the converge run,
	// measured once the cluster had formed and then run ScaleSettle
	// more, so that formation's announcements, repair and catch-up
	// exchanges are over. No fault, no loss.
	MsgsPerNodeSec  float64 `json:"msgs_per_node_s"`
	BytesPerNodeSec float64 `json:"bytes_per_node_s"`
	// WallSeconds and HeapMB are the two runs' wall time and the larger
	// heap.
	WallSeconds float64 `json:"wall_s"`
	HeapMB      float64 `json:"heap_mb"`
}

// The steady-state traffic window of Scale (virtual time): ScaleSettle
// after the cluster formed, then ScaleWindow measured.
const (
	ScaleSettle = 60 * time.Second
	ScaleWindow = 2 * time.Minute
)

// EpidemicRounds is the epidemic bound on rounds for n members and the
// given fanout: log base (fanout+1) of n, plus ln n / fanout.
func EpidemicRounds(n, fanout int) float64 {
	return math.Log(float64(n))/math.Log(float64(fanout+1)) + math.Log(float64(n))/float64(fanout)
}

// Scale runs the simulator's converge and detect scenarios for n members
// with seed and returns the figures; the converge run goes on for
// ScaleSettle and ScaleWindow after formation, to measure steady traffic.
func Scale(n int, seed uint64) (ScaleResult, error) {
	r := ScaleResult{N: n, Seed: seed}
	gi := core.LANConfig().GossipInterval
	cv, err := sim.RunScenario(sim.Options{Scenario: sim.ScenarioConverge, Nodes: n, Seed: seed, Preset: "lan", Settle: ScaleSettle, Duration: ScaleWindow})
	if err != nil {
		return r, err
	}
	r.Converged = cv.Converged
	r.MsgsPerNodeSec, r.BytesPerNodeSec = cv.MsgsPerNodeSec, cv.BytesPerNodeSec
	if cv.Converge != nil {
		r.ConvergeMax = cv.Converge.Max
		r.ConvergeRounds = cv.Converge.Max / gi.Seconds()
	}
	dt, err := sim.RunScenario(sim.Options{Scenario: sim.ScenarioDetect, Nodes: n, Seed: seed, Preset: "lan", Duration: 30 * time.Second})
	if err != nil {
		return r, err
	}
	if dt.Detect != nil {
		r.DetectP50, r.DetectMax = dt.Detect.P50, dt.Detect.Max
	}
	r.FirstSuspect = dt.FirstSuspect
	r.WallSeconds = cv.WallSeconds + dt.WallSeconds
	r.HeapMB = max(cv.HeapMB, dt.HeapMB)
	return r, nil
}
