package clock

import (
	"errors"
	"testing"
	"time"
)

// trip builds a sample for a peer whose clock is offset ahead, with one-way
// delays out and back and processing time proc at the peer.
func trip(start time.Time, offset, out, back, proc time.Duration) Sample {
	t0 := start
	t1 := t0.Add(out + offset)
	t2 := t1.Add(proc)
	t3 := t0.Add(out + proc + back)
	return Sample{T0: t0, T1: t1, T2: t2, T3: t3}
}

func TestSampleMath(t *testing.T) {
	tests := []struct {
		name                   string
		offset, out, back, prc time.Duration
		wantOffset, wantDelay  time.Duration
	}{
		{"symmetric ahead", 40 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, time.Millisecond, 40 * time.Millisecond, 10 * time.Millisecond},
		{"symmetric behind", -3 * time.Second, time.Millisecond, time.Millisecond, 0, -3 * time.Second, 2 * time.Millisecond},
		// Asymmetric: the error is half the asymmetry, within δ/2.
		{"asymmetric", 0, 9 * time.Millisecond, time.Millisecond, 0, 4 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := trip(epoch, tt.offset, tt.out, tt.back, tt.prc)
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.Offset() != tt.wantOffset || s.Delay() != tt.wantDelay {
				t.Errorf("offset %v delay %v, want %v %v", s.Offset(), s.Delay(), tt.wantOffset, tt.wantDelay)
			}
			if err := s.Offset() - tt.offset; err > s.Delay()/2 || -err > s.Delay()/2 {
				t.Errorf("true offset %v outside %v ± %v", tt.offset, s.Offset(), s.Delay()/2)
			}
		})
	}
}

func TestSampleValidate(t *testing.T) {
	good := trip(epoch, 0, time.Millisecond, time.Millisecond, time.Millisecond)
	bad := map[string]Sample{
		"zero t0":        {T1: good.T1, T2: good.T2, T3: good.T3},
		"t2 before t1":   {T0: good.T0, T1: good.T2, T2: good.T1, T3: good.T3},
		"t3 before t0":   {T0: good.T3, T1: good.T1, T2: good.T2, T3: good.T0},
		"negative delay": {T0: epoch, T1: epoch, T2: epoch.Add(time.Second), T3: epoch.Add(time.Millisecond)},
	}
	e, _ := NewEstimator(EstimatorConfig{})
	for name, s := range bad {
		if err := e.Add("p", s); !errors.Is(err, ErrInvalidSample) {
			t.Errorf("%s: Add = %v, want ErrInvalidSample", name, err)
		}
	}
	if e.Peers() != 0 {
		t.Errorf("invalid samples recorded: %d peers", e.Peers())
	}
}

func TestEstimator(t *testing.T) {
	if _, err := NewEstimator(EstimatorConfig{Window: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewEstimator(-1) = %v", err)
	}
	e, err := NewEstimator(EstimatorConfig{Window: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Offset("p"); !errors.Is(err, ErrNoSamples) {
		t.Errorf("Offset(no samples) = %v", err)
	}
	const off = 25 * time.Millisecond
	ms := time.Millisecond
	// Delays 20, 4 (queued on the way out: biased), 8 ms.
	steps := []struct {
		s                Sample
		wantOff, wantUnc time.Duration
		wantN            int
	}{
		{trip(epoch, off, 10*ms, 10*ms, ms), off, 10 * ms, 1},
		{trip(epoch.Add(time.Second), off, 3*ms, ms, ms), off + ms, 2 * ms, 2},
		{trip(epoch.Add(2*time.Second), off, 4*ms, 4*ms, ms), off + ms, 2 * ms, 3},
		// Window of 3: the 4 ms sample is still in; a 6 ms one arrives.
		{trip(epoch.Add(3*time.Second), off, 3*ms, 3*ms, ms), off + ms, 2 * ms, 3},
		// Now the 4 ms sample falls out; best is 6 ms, unbiased.
		{trip(epoch.Add(4*time.Second), off, 50*ms, 50*ms, ms), off, 3 * ms, 3},
	}
	for i, st := range steps {
		if err := e.Add("p", st.s); err != nil {
			t.Fatal(err)
		}
		got, err := e.Offset("p")
		if err != nil || got.Offset != st.wantOff || got.Uncertainty != st.wantUnc || got.Samples != st.wantN || got.Delay != 2*st.wantUnc {
			t.Errorf("step %d: Offset = %+v, %v; want offset %v ± %v over %d", i, got, err, st.wantOff, st.wantUnc, st.wantN)
		}
	}
	if e.Peers() != 1 {
		t.Errorf("Peers = %d", e.Peers())
	}
	e.Forget("p")
	if _, err := e.Offset("p"); !errors.Is(err, ErrNoSamples) {
		t.Errorf("after Forget: %v", err)
	}
}
