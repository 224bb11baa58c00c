package raft

import (
	"fmt"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/libgossip/libgossip/gossip"
)

// run owns the policy: on every membership event, leadership change and
// reconcile tick it bootstraps (once, under bootstrap-expect) and, on the
// leader, brings the raft configuration in line with gossip.
func (s *Server) run(sub *gossip.Subscription) {
	defer s.wg.Done()
	defer sub.Close()
	pol := newPolicy(policyConfig{Stabilization: s.o.stabilization, DeadServerTimeout: s.o.deadTimeout})
	badTags := map[string]string{}
	tick := time.NewTicker(s.o.reconcile)
	defer tick.Stop()
	events := sub.C
	for {
		s.reconcile(time.Now(), pol, badTags)
		select {
		case <-s.stop:
			return
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case <-s.kick:
		case <-tick.C:
		}
	}
}

// watchLeadership forwards raft's leadership changes to LeaderCh and
// kicks the reconcile loop.
func (s *Server) watchLeadership(r *hraft.Raft) {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case v := <-r.LeaderCh():
			s.tel.leadership(v)
			if v {
				s.log.Info("raft leadership acquired")
			} else {
				s.log.Info("raft leadership lost")
			}
			for sent := false; !sent; {
				select {
				case s.leaderCh <- v:
					sent = true
				default:
					select {
					case <-s.leaderCh:
					default:
					}
				}
			}
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

// gossipServers reads the raft servers out of the gossip membership.
func (s *Server) gossipServers(badTags map[string]string) []gossipServer {
	var out []gossipServer
	for _, m := range s.node.Members() {
		t, ok, err := parseTag(m.Meta)
		if err != nil {
			if badTags[m.ID] != err.Error() {
				badTags[m.ID] = err.Error()
				s.o.onError(fmt.Errorf("member %s: %w", m.ID, err))
			}
			continue
		}
		delete(badTags, m.ID)
		if !ok {
			continue
		}
		h := healthAlive
		switch m.State {
		case gossip.StateSuspect:
			h = healthSuspect
		case gossip.StateDead:
			h = healthFailed
		case gossip.StateLeft:
			h = healthLeft
		}
		out = append(out, gossipServer{ID: m.ID, Addr: t.Addr, Health: h, Existing: t.Existing})
	}
	return out
}

func (s *Server) reconcile(now time.Time, pol *policy, badTags map[string]string) {
	r := s.r
	servers := s.gossipServers(badTags)
	if !s.existing {
		if r.LastIndex() == 0 && s.o.expect > 0 {
			if cfg, ok := bootstrapConfig(s.id, s.o.expect, servers); ok {
				var c hraft.Configuration
				for _, x := range cfg {
					c.Servers = append(c.Servers, hraft.Server{Suffrage: hraft.Voter, ID: hraft.ServerID(x.ID), Address: hraft.ServerAddress(x.Addr)})
				}
				if err := r.BootstrapCluster(c).Error(); err != nil {
					s.o.onError(fmt.Errorf("raft: bootstrap: %w", err))
				} else {
					s.log.Info("raft cluster bootstrapped", "servers", len(cfg))
				}
			}
		}
		if r.LastIndex() > 0 {
			s.existing = true
			if err := s.publishTag(); err != nil {
				s.existing = false
				s.o.onError(err)
			}
		}
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return
	}
	var config []configServer
	for _, c := range f.Configuration().Servers {
		config = append(config, configServer{ID: string(c.ID), Addr: string(c.Address), Voter: c.Suffrage == hraft.Voter})
	}
	actions := pol.plan(now, s.id, servers, config)
	if r.State() != hraft.Leader {
		return
	}
	for _, a := range actions {
		select {
		case <-s.stop:
			return
		default:
		}
		id, addr := hraft.ServerID(a.ID), hraft.ServerAddress(a.Addr)
		if a.Kind == actUpdateAddr && a.ID != s.id {
			// Out of the configuration first, then back in at the new
			// address: hashicorp/raft v1.8.0 changes a running
			// replication's peer in place when only the address differs,
			// and its replication goroutine reads that peer without the
			// lock (a data race the race detector caught in
			// TestExecutorRestartedMidRun). Removing stops that goroutine;
			// the add below starts a new one.
			if err := r.RemoveServer(id, 0, s.o.reconcile).Error(); err != nil {
				s.o.onError(fmt.Errorf("raft: %s %s: remove the old address: %w", a.Kind, a.ID, err))
				return
			}
		}
		var fut hraft.IndexFuture
		switch {
		case a.Kind == actAddNonvoter, a.Kind == actUpdateAddr && !a.Voter:
			fut = r.AddNonvoter(id, addr, 0, s.o.reconcile)
		case a.Kind == actPromote, a.Kind == actUpdateAddr && a.Voter:
			fut = r.AddVoter(id, addr, 0, s.o.reconcile)
		case a.Kind == actRemove:
			fut = r.RemoveServer(id, 0, s.o.reconcile)
		default:
			continue
		}
		if err := fut.Error(); err != nil {
			s.o.onError(fmt.Errorf("raft: %s %s: %w", a.Kind, a.ID, err))
			return
		}
		s.log.Info("raft configuration changed", "change", a.Kind.String(), "peer_id", a.ID, "raft_addr", a.Addr, "reason", a.Reason)
	}
}
