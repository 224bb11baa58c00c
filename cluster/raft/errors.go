package raft

import (
	"errors"
	"fmt"
)

// Errors returned by Server methods. Test for them with errors.Is.
var (
	// ErrConfig wraps every configuration error from New.
	ErrConfig = errors.New("raft: invalid config")
	// ErrNotLeader is returned (wrapped in a *NotLeaderError) by calls that
	// only the leader may make.
	ErrNotLeader = errors.New("raft: not the leader")
	// ErrLeadershipLost means the leader lost its leadership while a command
	// was in flight: the command may or may not have been committed.
	ErrLeadershipLost = errors.New("raft: leadership lost, outcome unknown")
	// ErrNotRunning is returned by calls on a Server that was not started or
	// has been shut down.
	ErrNotRunning = errors.New("raft: server not running")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("raft: server already started")
	// ErrTag wraps the reasons a member's raft metadata could not be parsed.
	ErrTag = errors.New("raft: bad server tag")
)

// NotLeaderError is returned by leader-only calls on a follower or
// candidate. It names the leader this server knows of (empty when none is
// known) so that a caller can retry there. It matches ErrNotLeader.
type NotLeaderError struct {
	LeaderID   string // the known leader's server (gossip member) id, or ""
	LeaderAddr string // the known leader's raft address, or ""
}

// Error names the leader when one is known.
func (e *NotLeaderError) Error() string {
	if e.LeaderID == "" {
		return ErrNotLeader.Error() + " (no leader known)"
	}
	return fmt.Sprintf("%s (leader is %s at %s)", ErrNotLeader, e.LeaderID, e.LeaderAddr)
}

// Unwrap makes errors.Is(err, ErrNotLeader) true.
func (e *NotLeaderError) Unwrap() error { return ErrNotLeader }
