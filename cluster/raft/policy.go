package raft

import (
	"slices"
	"time"
)

// health is the gossip view of one raft server.
type health uint8

const (
	healthAlive   health = iota // alive in gossip
	healthSuspect               // suspected: neither promoted nor removed
	healthFailed                // declared failed by gossip
	healthLeft                  // left gracefully
)

// gossipServer is one member that carries raft tags, as gossip sees it.
type gossipServer struct {
	ID       string
	Addr     string
	Health   health
	Existing bool
}

// configServer is one entry of the raft configuration.
type configServer struct {
	ID    string
	Addr  string
	Voter bool
}

// actionKind is a change to the raft configuration.
type actionKind uint8

const (
	actAddNonvoter actionKind = iota + 1 // a new server, as non-voter
	actPromote                           // non-voter -> voter
	actUpdateAddr                        // same server, new raft address
	actRemove                            // out of the configuration
)

func (k actionKind) String() string {
	switch k {
	case actAddNonvoter:
		return "add-nonvoter"
	case actPromote:
		return "promote"
	case actUpdateAddr:
		return "update-address"
	case actRemove:
		return "remove"
	}
	return "unknown"
}

// action is one change the leader should make.
type action struct {
	Kind   actionKind
	ID     string
	Addr   string
	Voter  bool   // for actUpdateAddr: keep the server a voter
	Reason string // for logs and tests
}

// policyConfig holds the timing of the membership policy.
type policyConfig struct {
	// Stabilization is how long a non-voter must have been alive in gossip
	// without interruption before it is promoted to voter.
	Stabilization time.Duration
	// DeadServerTimeout is how long a server must have been failed (or
	// absent from gossip without having been seen to leave) before it is
	// removed, and then only while quorum allows.
	DeadServerTimeout time.Duration
}

// policy decides how the leader changes the raft configuration from the
// gossip membership. It is a pure state machine: time is an argument, and
// the only state is when each server was last seen change health. It is
// not safe for concurrent use; the Server's reconcile goroutine owns it.
//
// The rules, applied on every plan:
//   - an alive server in gossip that is not in the configuration is added
//     as a non-voter;
//   - a server whose gossip address differs from its configured one is
//     re-added with the new address and the same suffrage;
//   - a non-voter alive for Stabilization without interruption (at one
//     address: a restart on a new one starts the time again) is promoted;
//   - a server that left gracefully is removed;
//   - a server failed (or absent from gossip, or reaped) for
//     DeadServerTimeout is removed, voters only while the voters left are
//     still at least a majority of the current voters, so removals never
//     take the configuration below quorum;
//   - the leader itself is never touched.
type policy struct {
	cfg          policyConfig
	aliveSince   map[string]time.Time // alive without interruption since
	failingSince map[string]time.Time // failed, absent or reaped since
	addrs        map[string]string    // last raft address seen in gossip
}

func newPolicy(cfg policyConfig) *policy {
	return &policy{cfg: cfg, aliveSince: map[string]time.Time{}, failingSince: map[string]time.Time{}, addrs: map[string]string{}}
}

// plan returns the changes to make, in order: additions, address updates
// and promotions first, then removals (non-voters, then voters, each by id).
func (p *policy) plan(now time.Time, self string, servers []gossipServer, config []configServer) []action {
	byID := make(map[string]gossipServer, len(servers))
	for _, s := range servers {
		byID[s.ID] = s
	}
	inConfig := make(map[string]configServer, len(config))
	for _, c := range config {
		inConfig[c.ID] = c
	}
	// Update the health history. A new address means a restart: the
	// stabilization time starts again.
	for _, s := range servers {
		if a, ok := p.addrs[s.ID]; ok && a != s.Addr {
			delete(p.aliveSince, s.ID)
		}
		p.addrs[s.ID] = s.Addr
		switch s.Health {
		case healthAlive:
			if _, ok := p.aliveSince[s.ID]; !ok {
				p.aliveSince[s.ID] = now
			}
			delete(p.failingSince, s.ID)
		case healthSuspect:
			delete(p.aliveSince, s.ID)
		case healthFailed:
			delete(p.aliveSince, s.ID)
			if _, ok := p.failingSince[s.ID]; !ok {
				p.failingSince[s.ID] = now
			}
		case healthLeft:
			delete(p.aliveSince, s.ID)
		}
	}
	for _, c := range config {
		if _, ok := byID[c.ID]; !ok {
			delete(p.aliveSince, c.ID)
			if _, ok := p.failingSince[c.ID]; !ok {
				p.failingSince[c.ID] = now
			}
		}
	}
	// Forget servers neither in gossip nor in the configuration.
	for id := range p.failingSince {
		if _, g := byID[id]; !g {
			if _, c := inConfig[id]; !c {
				delete(p.failingSince, id)
			}
		}
	}
	for id := range p.aliveSince {
		if _, g := byID[id]; !g {
			delete(p.aliveSince, id)
		}
	}
	for id := range p.addrs {
		if _, g := byID[id]; !g {
			delete(p.addrs, id)
		}
	}

	var out []action
	ids := make([]string, 0, len(servers))
	for _, s := range servers {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := byID[id]
		if id == self || s.Health != healthAlive {
			continue
		}
		c, ok := inConfig[id]
		switch {
		case !ok:
			out = append(out, action{Kind: actAddNonvoter, ID: id, Addr: s.Addr, Reason: "new server"})
		case c.Addr != s.Addr:
			out = append(out, action{Kind: actUpdateAddr, ID: id, Addr: s.Addr, Voter: c.Voter, Reason: "address changed"})
		case !c.Voter && now.Sub(p.aliveSince[id]) >= p.cfg.Stabilization:
			out = append(out, action{Kind: actPromote, ID: id, Addr: s.Addr, Reason: "stable"})
		}
	}

	voters := 0
	for _, c := range config {
		if c.Voter {
			voters++
		}
	}
	var dropNonvoters, dropVoters []action
	cfgIDs := make([]string, 0, len(config))
	for _, c := range config {
		cfgIDs = append(cfgIDs, c.ID)
	}
	slices.Sort(cfgIDs)
	for _, id := range cfgIDs {
		if id == self {
			continue
		}
		c := inConfig[id]
		var reason string
		s, ok := byID[id]
		switch {
		case ok && s.Health == healthLeft:
			reason = "left"
		case ok && (s.Health == healthAlive || s.Health == healthSuspect):
			continue
		case now.Sub(p.failingSince[id]) >= p.cfg.DeadServerTimeout:
			reason = "failed"
			if !ok {
				reason = "absent from gossip"
			}
		default:
			continue
		}
		a := action{Kind: actRemove, ID: id, Addr: c.Addr, Voter: c.Voter, Reason: reason}
		if c.Voter {
			dropVoters = append(dropVoters, a)
		} else {
			dropNonvoters = append(dropNonvoters, a)
		}
	}
	out = append(out, dropNonvoters...)
	// Removing a voter that left is its own decision; removing failed ones
	// must keep a majority of the current voters.
	quorum := voters/2 + 1
	remaining := voters
	for _, a := range dropVoters {
		if a.Reason != "left" && remaining-1 < quorum {
			continue
		}
		remaining--
		out = append(out, a)
	}
	return out
}

// bootstrapConfig decides whether self should bootstrap the cluster under
// bootstrap-expect: only when at least expect servers are alive in gossip,
// none of them (self included) has raft state, and self has the lowest id
// among them. It then returns every one of them as a voter, sorted by id.
// The rule is deterministic, so exactly one server of a fresh cluster whose
// members see the same servers bootstraps.
func bootstrapConfig(self string, expect int, servers []gossipServer) ([]configServer, bool) {
	if expect <= 0 {
		return nil, false
	}
	var out []configServer
	hasSelf := false
	for _, s := range servers {
		if s.Existing {
			return nil, false
		}
		if s.Health != healthAlive {
			continue
		}
		if s.ID == self {
			hasSelf = true
		}
		out = append(out, configServer{ID: s.ID, Addr: s.Addr, Voter: true})
	}
	if !hasSelf || len(out) < expect {
		return nil, false
	}
	slices.SortFunc(out, func(a, b configServer) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	if out[0].ID != self {
		return nil, false
	}
	return out, true
}
