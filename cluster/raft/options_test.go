package raft

import (
	"errors"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func TestNewValidates(t *testing.T) {
	cfg := gossip.LocalConfig()
	cfg.ID = "a"
	node, err := gossip.New(cfg, memnet.New(1).Transport("a"))
	if err != nil {
		t.Fatal(err)
	}
	fsm := newSetFSM()
	tests := []struct {
		name string
		node *gossip.Node
		fsm  FSM
		dir  string
		opts []Option
	}{
		{"nil node", nil, fsm, "d", nil},
		{"nil fsm", node, nil, "d", nil},
		{"no dir", node, fsm, "", nil},
		{"zero stabilization", node, fsm, "d", []Option{WithStabilization(0)}},
		{"negative dead timeout", node, fsm, "d", []Option{WithDeadServerTimeout(-time.Second)}},
		{"zero reconcile", node, fsm, "d", []Option{WithReconcileInterval(0)}},
		{"tiny timeouts", node, fsm, "d", []Option{WithTimeouts(time.Millisecond, time.Second, time.Millisecond)}},
		{"lease over heartbeat", node, fsm, "d", []Option{WithTimeouts(100*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond)}},
		{"negative expect", node, fsm, "d", []Option{WithBootstrapExpect(-1)}},
		{"zero snapshot threshold", node, fsm, "d", []Option{WithSnapshots(0, time.Minute, 1)}},
		{"zero snapshot interval", node, fsm, "d", []Option{WithSnapshots(1, 0, 1)}},
		{"zero retain", node, fsm, "d", []Option{WithSnapshots(1, time.Minute, 0)}},
		{"zero conn limit", node, fsm, "d", []Option{WithMaxInboundConns(0, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.node, tt.fsm, tt.dir, tt.opts...); !errors.Is(err, ErrConfig) {
				t.Fatalf("New: %v, want ErrConfig", err)
			}
		})
	}
	s, err := New(node, fsm, "d", WithLogger(quiet), WithErrorHandler(func(error) {}), WithAdvertiseAddr("127.0.0.1:1"))
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if s.ID() != "a" || s.Addr() != "" || s.IsLeader() {
		t.Errorf("unstarted server: id %q addr %q leader %v", s.ID(), s.Addr(), s.IsLeader())
	}
}
