package raft

import (
	"fmt"
	"net"
	"strconv"
)

// Metadata keys a server publishes in its gossip member metadata. A member
// carrying TagAddr is a raft server; members without it are ignored.
const (
	// TagAddr holds the server's raft address, "host:port".
	TagAddr = "raft"
	// TagState is "fresh" while the server has no raft state (no log, no
	// term, no snapshot) and "existing" once it has some.
	TagState = "raft_state"
)

// Values of TagState.
const (
	stateFresh    = "fresh"
	stateExisting = "existing"
)

// maxTagAddr bounds the length of a raft address tag, in bytes.
const maxTagAddr = 256

// serverTag is what a member's metadata says about its raft server.
type serverTag struct {
	Addr     string
	Existing bool // the server has raft state
}

// parseTag reads the raft tags from a member's metadata. ok is false (with
// a nil error) for a member that is not a raft server; a malformed tag
// gives an error wrapping ErrTag.
func parseTag(meta map[string]string) (t serverTag, ok bool, err error) {
	addr, has := meta[TagAddr]
	if !has {
		return serverTag{}, false, nil
	}
	if len(addr) > maxTagAddr {
		return serverTag{}, false, fmt.Errorf("%w: address of %d bytes, limit %d", ErrTag, len(addr), maxTagAddr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return serverTag{}, false, fmt.Errorf("%w: address %q: %w", ErrTag, addr, err)
	}
	if host == "" {
		return serverTag{}, false, fmt.Errorf("%w: address %q has no host", ErrTag, addr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return serverTag{}, false, fmt.Errorf("%w: address %q has a bad port", ErrTag, addr)
	}
	switch st := meta[TagState]; st {
	case stateFresh:
	case stateExisting:
		t.Existing = true
	default:
		return serverTag{}, false, fmt.Errorf("%w: state %q", ErrTag, st)
	}
	t.Addr = addr
	return t, true, nil
}

// stateValue is the TagState value for a server with or without state.
func stateValue(existing bool) string {
	if existing {
		return stateExisting
	}
	return stateFresh
}
