package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func gs(id string, h health) gossipServer {
	return gossipServer{ID: id, Addr: id + ":1", Health: h}
}

func cv(id string) configServer { return configServer{ID: id, Addr: id + ":1", Voter: true} }
func cn(id string) configServer { return configServer{ID: id, Addr: id + ":1"} }

func actString(as []action) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Kind.String()+" "+a.ID)
	}
	return strings.Join(out, ", ")
}

func TestPolicyTable(t *testing.T) {
	cfg := policyConfig{Stabilization: 10 * time.Second, DeadServerTimeout: time.Minute}
	type step struct {
		at      time.Duration
		servers []gossipServer
		config  []configServer
		want    string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"new server joins as non-voter", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a")}, "add-nonvoter b"},
		}},
		{"suspect or failed new server is not added", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthSuspect), gs("c", healthFailed)}, []configServer{cv("a")}, ""},
		}},
		{"promotion after stabilization only", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, ""},
			{9 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, ""},
			{10 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, "promote b"},
		}},
		{"suspicion restarts stabilization", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, ""},
			{5 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthSuspect)}, []configServer{cv("a"), cn("b")}, ""},
			{6 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, ""},
			{12 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, ""},
			{16 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cn("b")}, "promote b"},
		}},
		{"left server removed at once", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthLeft)}, []configServer{cv("a"), cv("b"), cv("c")}, "remove c"},
		}},
		{"left voters removed even below quorum", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthLeft), gs("c", healthLeft)}, []configServer{cv("a"), cv("b"), cv("c")}, "remove b, remove c"},
		}},
		{"failed voter stays until the timeout", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
			{59 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
			{time.Minute, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, "remove c"},
		}},
		{"failed voters never removed below quorum", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthFailed), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
			{2 * time.Minute, []gossipServer{gs("a", healthAlive), gs("b", healthFailed), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, "remove b"},
			{3 * time.Minute, []gossipServer{gs("a", healthAlive), gs("c", healthFailed)}, []configServer{cv("a"), cv("c")}, ""},
		}},
		{"five voters lose two failed at most", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed), gs("d", healthFailed), gs("e", healthFailed)},
				[]configServer{cv("a"), cv("b"), cv("c"), cv("d"), cv("e")}, ""},
			{time.Hour, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed), gs("d", healthFailed), gs("e", healthFailed)},
				[]configServer{cv("a"), cv("b"), cv("c"), cv("d"), cv("e")}, "remove c, remove d"},
		}},
		{"failed non-voter removed regardless of quorum", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthFailed)}, []configServer{cv("a"), cn("b")}, ""},
			{time.Minute, []gossipServer{gs("a", healthAlive), gs("b", healthFailed)}, []configServer{cv("a"), cn("b")}, "remove b"},
		}},
		{"absent from gossip counts as failed from first sight", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
			{time.Minute, []gossipServer{gs("a", healthAlive), gs("b", healthAlive)}, []configServer{cv("a"), cv("b"), cv("c")}, "remove c"},
		}},
		{"back alive before the timeout: kept", []step{
			{0, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
			{30 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthAlive)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
			{80 * time.Second, []gossipServer{gs("a", healthAlive), gs("b", healthAlive), gs("c", healthFailed)}, []configServer{cv("a"), cv("b"), cv("c")}, ""},
		}},
		{"new address keeps suffrage", []step{
			{0, []gossipServer{gs("a", healthAlive), {ID: "b", Addr: "b:2", Health: healthAlive}, {ID: "c", Addr: "c:2", Health: healthAlive}},
				[]configServer{cv("a"), cv("b"), cn("c")}, "update-address b, update-address c"},
		}},
		{"self is never touched", []step{
			{0, []gossipServer{gs("a", healthLeft)}, []configServer{cv("a")}, ""},
			{0, []gossipServer{{ID: "a", Addr: "a:9", Health: healthAlive}}, []configServer{cv("a")}, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPolicy(cfg)
			for i, s := range tt.steps {
				got := actString(p.plan(t0.Add(s.at), "a", s.servers, s.config))
				if got != s.want {
					t.Fatalf("step %d (t+%v): got [%s], want [%s]\nservers %v\nconfig %v", i, s.at, got, s.want, s.servers, s.config)
				}
			}
		})
	}
}

func TestBootstrapConfig(t *testing.T) {
	fresh := func(ids ...string) []gossipServer {
		var out []gossipServer
		for _, id := range ids {
			out = append(out, gs(id, healthAlive))
		}
		return out
	}
	withState := fresh("a", "b", "c")
	withState[2].Existing = true
	withFailed := fresh("a", "b", "c")
	withFailed[1].Health = healthFailed
	tests := []struct {
		name    string
		self    string
		expect  int
		servers []gossipServer
		want    []string
	}{
		{"lowest id bootstraps all", "a", 3, fresh("c", "a", "b"), []string{"a", "b", "c"}},
		{"others wait", "b", 3, fresh("a", "b", "c"), nil},
		{"too few seen", "a", 3, fresh("a", "b"), nil},
		{"more than expected: all of them", "a", 3, fresh("a", "b", "c", "d"), []string{"a", "b", "c", "d"}},
		{"someone has state", "a", 3, withState, nil},
		{"failed ones do not count", "a", 3, withFailed, nil},
		{"expect 0 never bootstraps", "a", 0, fresh("a"), nil},
		{"single server", "a", 1, fresh("a"), []string{"a"}},
		{"self not among them", "a", 2, fresh("b", "c"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ok := bootstrapConfig(tt.self, tt.expect, tt.servers)
			var got []string
			for _, c := range cfg {
				if !c.Voter {
					t.Errorf("%s bootstrapped as non-voter", c.ID)
				}
				got = append(got, c.ID)
			}
			if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
				t.Fatalf("bootstrapConfig(%s, %d, %v) = %v, %v; want %v", tt.self, tt.expect, tt.servers, got, ok, tt.want)
			}
		})
	}
}

// TestPolicySimulation drives the policy through seeded random histories of
// joins, failures, recoveries, leaves and restarts on new addresses, applies
// its actions to a model configuration, and checks its invariants after
// every step:
//   - failed voters are never removed below a majority of the voters;
//   - nobody is promoted before being alive for the stabilization time;
//   - nobody is added unless alive, and the leader is never changed;
//   - once the history settles, every alive server is a voter at its
//     current address and every left server is gone.
func TestPolicySimulation(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { simulatePolicy(t, seed) })
	}
}

func simulatePolicy(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	cfg := policyConfig{Stabilization: 10 * time.Second, DeadServerTimeout: time.Minute}
	p := newPolicy(cfg)
	type srv struct {
		health     health
		addr       int
		aliveSince time.Time
		present    bool
	}
	ids := []string{"a", "b", "c", "d", "e", "f", "g"}
	world := map[string]*srv{"a": {health: healthAlive, present: true}}
	config := []configServer{{ID: "a", Addr: "a:0", Voter: true}}
	now := t0
	addrOf := func(id string) string { return fmt.Sprintf("%s:%d", id, world[id].addr) }
	view := func() []gossipServer {
		var out []gossipServer
		for _, id := range ids {
			if s := world[id]; s != nil && s.present {
				out = append(out, gossipServer{ID: id, Addr: addrOf(id), Health: s.health})
			}
		}
		return out
	}
	apply := func(as []action) {
		for _, a := range as {
			i := slices.IndexFunc(config, func(c configServer) bool { return c.ID == a.ID })
			switch a.Kind {
			case actAddNonvoter:
				if i >= 0 {
					t.Fatalf("seed %d: add of %s already in config", seed, a.ID)
				}
				if world[a.ID].health != healthAlive {
					t.Fatalf("seed %d: added %s while %v", seed, a.ID, world[a.ID].health)
				}
				config = append(config, configServer{ID: a.ID, Addr: a.Addr})
			case actPromote:
				s := world[a.ID]
				if now.Sub(s.aliveSince) < cfg.Stabilization {
					t.Fatalf("seed %d: promoted %s after %v alive", seed, a.ID, now.Sub(s.aliveSince))
				}
				config[i].Voter = true
			case actUpdateAddr:
				config[i].Addr = a.Addr
			case actRemove:
				voters := 0
				for _, c := range config {
					if c.Voter {
						voters++
					}
				}
				if config[i].Voter && a.Reason != "left" && voters-1 < voters/2+1 {
					t.Fatalf("seed %d: removed failed voter %s with %d voters", seed, a.ID, voters)
				}
				config = slices.Delete(config, i, i+1)
			}
			if a.ID == "a" {
				t.Fatalf("seed %d: the leader was changed: %v", seed, a)
			}
		}
	}
	for step := 0; step < 300; step++ {
		now = now.Add(time.Duration(1+rng.IntN(5000)) * time.Millisecond)
		if step < 250 && rng.IntN(3) == 0 {
			id := ids[1+rng.IntN(len(ids)-1)]
			s := world[id]
			switch {
			case s == nil:
				world[id] = &srv{health: healthAlive, aliveSince: now, present: true}
			case !s.present || s.health == healthLeft:
				*s = srv{health: healthAlive, aliveSince: now, present: true, addr: s.addr + 1}
			default:
				switch rng.IntN(6) {
				case 0:
					s.health = healthSuspect
				case 1:
					s.health = healthFailed
				case 2:
					s.health = healthLeft
				case 3:
					if s.health != healthAlive {
						s.aliveSince = now
					}
					s.health = healthAlive
				case 4:
					if s.health == healthFailed || s.health == healthLeft {
						s.present = false // reaped
					}
				case 5: // restart on a new address
					*s = srv{health: healthAlive, aliveSince: now, present: true, addr: s.addr + 1}
				}
			}
		}
		apply(p.plan(now, "a", view(), config))
	}
	// Settle: alive servers become voters at their address; left and
	// vanished ones go (failed ones only if quorum allows).
	for _, s := range world {
		if s.health == healthSuspect {
			s.health = healthAlive
			s.aliveSince = now
		}
	}
	for i := 0; i < 10; i++ {
		now = now.Add(cfg.DeadServerTimeout)
		apply(p.plan(now, "a", view(), config))
	}
	for _, id := range ids {
		s := world[id]
		i := slices.IndexFunc(config, func(c configServer) bool { return c.ID == id })
		switch {
		case s == nil:
			if i >= 0 {
				t.Errorf("seed %d: unknown %s in config", seed, id)
			}
		case s.present && s.health == healthAlive:
			if i < 0 || !config[i].Voter || config[i].Addr != addrOf(id) {
				t.Errorf("seed %d: alive %s not a voter at %s: %v", seed, id, addrOf(id), config)
			}
		case s.present && s.health == healthLeft:
			if i >= 0 {
				t.Errorf("seed %d: left %s still in config", seed, id)
			}
		}
	}
}
