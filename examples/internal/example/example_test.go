package example

import (
	"errors"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/gossiptest"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestWaitFor(t *testing.T) {
	calls := 0
	if err := WaitFor(10*time.Second, func() bool { calls++; return calls == 3 }); err != nil {
		t.Fatalf("WaitFor = %v, want nil", err)
	}
	if calls != 3 {
		t.Errorf("cond called %d times, want 3", calls)
	}
	took, err := WaitForTimed(0, func() bool { return false })
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("WaitForTimed(0, never) = %v, want ErrTimeout", err)
	}
	if took <= 0 {
		t.Errorf("WaitForTimed took %v, want > 0", took)
	}
}

func TestAllLiveWithoutNodes(t *testing.T) {
	if !AllLive(3)() {
		t.Error("AllLive over no nodes = false, want true")
	}
}

func TestQuiet(t *testing.T) {
	if Quiet().Enabled(t.Context(), 12) {
		t.Error("Quiet logger is enabled")
	}
}
