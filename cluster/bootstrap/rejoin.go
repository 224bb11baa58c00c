package bootstrap

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

// Peer is a member this one has known: where it was last seen and
// whether it was last seen failed.
type Peer struct {
	ID     string
	Addr   string
	Failed bool
	// Seen is when the peer was last observed (alive or failed).
	Seen time.Time
}

// RejoinConfig configures a Rejoin machine. Zero fields take defaults.
type RejoinConfig struct {
	// Self is this member's id (never a rejoin target).
	Self string
	// Interval is the time between rejoin rounds. Default 30s.
	Interval time.Duration
	// Fanout is the number of absent peers tried per round. Default 3.
	Fanout int
	// ForgetAfter drops a peer not observed for this long. Default 72h.
	ForgetAfter time.Duration
	// Rand is the source of the random choice of peers. Default a PCG
	// seeded from Self.
	Rand rand.Source
}

// Rejoin is the pure rejoin policy: it remembers the peers this member
// has known (alive or failed; a member that left is forgotten) and, every
// Interval (less up to a quarter, at random), names up to Fanout of those not in the live membership, to be
// joined again. That is what merges the two sides of a long partition,
// whatever the gossip layer's own reconnect settings. It reads no clock
// and is not safe for concurrent use.
type Rejoin struct {
	cfg   RejoinConfig
	rng   *rand.Rand
	peers map[string]Peer
	next  time.Time
}

// NewRejoin returns a rejoin machine, or an error wrapping ErrConfig.
func NewRejoin(cfg RejoinConfig) (*Rejoin, error) {
	if cfg.Interval == 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.Fanout == 0 {
		cfg.Fanout = 3
	}
	if cfg.ForgetAfter == 0 {
		cfg.ForgetAfter = 72 * time.Hour
	}
	if cfg.Interval < 0 || cfg.Fanout < 0 || cfg.ForgetAfter < 0 {
		return nil, fmt.Errorf("%w: rejoin interval %v, fanout %d, forget after %v", ErrConfig, cfg.Interval, cfg.Fanout, cfg.ForgetAfter)
	}
	if cfg.Rand == nil {
		var h uint64 = 14695981039346656037
		for _, c := range []byte(cfg.Self) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		cfg.Rand = rand.NewPCG(h, 0x72656a6f696e)
	}
	return &Rejoin{cfg: cfg, rng: rand.New(cfg.Rand), peers: map[string]Peer{}}, nil
}

// Observe records what a membership event or snapshot says about v. It
// reports whether the record changed in a way worth persisting (a new
// peer, a new address, alive to failed or back, or a peer forgotten).
func (r *Rejoin) Observe(now time.Time, v gossip.NodeView) bool {
	if v.ID == "" || v.ID == r.cfg.Self {
		return false
	}
	old, had := r.peers[v.ID]
	switch v.State {
	case gossip.StateLeft:
		delete(r.peers, v.ID)
		return had
	case gossip.StateDead:
		p := Peer{ID: v.ID, Addr: v.Addr, Failed: true, Seen: now}
		if p.Addr == "" {
			p.Addr = old.Addr
		}
		r.peers[v.ID] = p
		return !had || !old.Failed || old.Addr != p.Addr
	}
	p := Peer{ID: v.ID, Addr: v.Addr, Seen: now}
	r.peers[v.ID] = p
	return !had || old.Addr != p.Addr || old.Failed
}

// Restore adds a peer read from a snapshot (kept only if not already
// known).
func (r *Rejoin) Restore(p Peer) {
	if p.ID == "" || p.ID == r.cfg.Self {
		return
	}
	if _, ok := r.peers[p.ID]; !ok {
		r.peers[p.ID] = p
	}
}

// Peers returns the known peers sorted by id.
func (r *Rejoin) Peers() []Peer {
	out := make([]Peer, 0, len(r.peers))
	for _, p := range r.peers {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Absent returns the addresses of known peers that are not in live (the
// live membership, this member included), excluding addresses a live
// member holds now, sorted.
func (r *Rejoin) Absent(live []gossip.NodeView) []string {
	ids, addrs := map[string]bool{}, map[string]bool{}
	for _, v := range live {
		if v.State <= gossip.StateSuspect {
			ids[v.ID], addrs[v.Addr] = true, true
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range r.peers {
		if !ids[p.ID] && !addrs[p.Addr] && p.Addr != "" && !seen[p.Addr] {
			seen[p.Addr] = true
			out = append(out, p.Addr)
		}
	}
	slices.Sort(out)
	return out
}

// Tick runs a rejoin round when one is due: it forgets peers not seen for
// ForgetAfter and returns up to Fanout random addresses of absent peers
// (nil when none is due or none is absent).
func (r *Rejoin) Tick(now time.Time, live []gossip.NodeView) []string {
	if r.next.IsZero() {
		r.next = now.Add(r.gap())
		return nil
	}
	if now.Before(r.next) {
		return nil
	}
	r.next = now.Add(r.gap())
	for id, p := range r.peers {
		if now.Sub(p.Seen) > r.cfg.ForgetAfter {
			delete(r.peers, id)
		}
	}
	abs := r.Absent(live)
	r.rng.Shuffle(len(abs), func(i, j int) { abs[i], abs[j] = abs[j], abs[i] })
	return abs[:min(len(abs), r.cfg.Fanout)]
}

// gap is the time to the next round: between three quarters of Interval
// and Interval, so members that started together do not run their rounds
// in step.
func (r *Rejoin) gap() time.Duration {
	iv := r.cfg.Interval
	return iv - time.Duration(r.rng.Int64N(int64(iv/4)+1))
}

// NextDeadline returns when Tick next has work (zero before the first
// Tick).
func (r *Rejoin) NextDeadline() time.Time { return r.next }
