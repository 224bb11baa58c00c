package bench

import (
	"context"
	"testing"
	"time"
)

func impls() []Impl { return []Impl{LibGossip{}, Memberlist{}} }

// short are fast settings: the harness is exercised, not measured.
var short = Matched(200 * time.Millisecond)

func TestRun(t *testing.T) {
	for _, impl := range impls() {
		t.Run(impl.Name(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			o := RunOptions{N: 6, Params: short, Steady: 500 * time.Millisecond, Loss: []float64{0.1}, LossWindow: time.Second, Limit: 20 * time.Second}
			r, err := Run(ctx, impl, o)
			if err != nil {
				t.Fatalf("Run(%+v): %v", o, err)
			}
			t.Logf("%+v", r)
			missing := r.Converge.Missing > 0 || r.Detect.Missing > 0 || r.Meta.Missing > 0 || r.Leave.Missing > 0
			switch {
			case missing && impl.Name() == "memberlist" && r.Detect.Missing == 0 && r.Meta.Missing == 0:
				// memberlist's known formation tail (DESIGN.md): a member
				// can miss another for minutes. The harness still worked.
				t.Logf("memberlist left a member out of the view: %+v", r.Converge)
			case missing:
				t.Errorf("Run(%+v): some phase did not finish: %+v", o, r)
			}
			if r.BytesPerNodeSec <= 0 || r.PacketsPerNodeSec <= 0 {
				t.Errorf("Run(%+v): no traffic counted: %+v", o, r)
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
