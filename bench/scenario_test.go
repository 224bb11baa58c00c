package bench

import (
	"context"
	"os"
	"testing"
	"time"
)

// envMemberlist opts the harness tests into running hashicorp/memberlist
// beside libgossip (LIBGOSSIP_BENCH_MEMBERLIST=1, ignored with -short).
// Its figures belong to `make bench`; here it is a smoke run whose outcome
// is logged, never asserted, so a peer library can never fail `make test`.
const envMemberlist = "LIBGOSSIP_BENCH_MEMBERLIST"

// impls are the implementations the harness tests run: libgossip, and
// memberlist when opted in.
func impls() []Impl {
	if !testing.Short() && os.Getenv(envMemberlist) == "1" {
		return []Impl{LibGossip{}, Memberlist{}}
	}
	return []Impl{LibGossip{}}
}

// ours reports whether impl's outcome is asserted: only libgossip's is.
func ours(impl Impl) bool { return impl.Name() == LibGossip{}.Name() }

// short are fast settings: the harness is exercised, not measured.
var short = Matched(200 * time.Millisecond)

func TestRun(t *testing.T) {
	for _, impl := range impls() {
		t.Run(impl.Name(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			o := RunOptions{N: 6, Params: short, Steady: 500 * time.Millisecond, Loss: []float64{0.1}, LossWindow: time.Second, Limit: 20 * time.Second}
			r, err := Run(ctx, impl, o)
			if !ours(impl) {
				t.Logf("%s (not asserted): %+v, err %v", impl.Name(), r, err)
				return
			}
			if err != nil {
				t.Fatalf("Run(%+v): %v", o, err)
			}
			t.Logf("%+v", r)
			if r.Converge.Missing > 0 || r.Detect.Missing > 0 || r.Meta.Missing > 0 || r.Leave.Missing > 0 {
				t.Errorf("Run(%+v): some phase did not finish: %+v", o, r)
			}
			if r.BytesPerNodeSec <= 0 || r.PacketsPerNodeSec <= 0 {
				t.Errorf("Run(%+v): no traffic counted: %+v", o, r)
			}
			if r.HeapPerNodeKB <= 0 {
				t.Errorf("Run(%+v): heap per member %.1f KB; live members hold memory", o, r.HeapPerNodeKB)
			}
		})
	}
}

func TestRunFlipFlop(t *testing.T) {
	for _, impl := range impls() {
		t.Run(impl.Name(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			o := FlipFlopOptions{N: 6, Params: short, Period: 1500 * time.Millisecond, Limit: 20 * time.Second}
			r, err := RunFlipFlop(ctx, impl, o)
			if !ours(impl) {
				t.Logf("%s (not asserted): %+v, err %v", impl.Name(), r, err)
				return
			}
			if err != nil {
				t.Fatalf("RunFlipFlop(%+v): %v", o, err)
			}
			t.Logf("%+v", r)
			if r.Faulty != 1 || r.N != 6 {
				t.Errorf("RunFlipFlop(%+v) = %+v, want 1 faulty of 6", o, r)
			}
		})
	}
}
