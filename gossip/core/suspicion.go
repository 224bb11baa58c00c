package core

import (
	"math"
	"slices"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

type suspicion struct {
	id       string
	inc      uint64
	start    time.Time
	min, max time.Duration
	k        int
	from     []string
	deadline time.Time
	// lastSeq is the sequence number of the last-chance ping or
	// reachability check in flight (0 if none); checks counts them.
	lastSeq uint32
	checks  int
	// refutation is the latest refutation of a flapping member, noted but
	// not applied: only an answer to this member's own reachability check
	// applies it (see handleAck). Meanwhile the suspect's record stays at
	// the suspected incarnation, so a failure declared here is stale for
	// members that believed the refutation.
	refutation *wire.Alive
	// answers counts the reachability checks the suspect answered.
	answers int
	// probed is set when this member's own full probe of the suspect
	// (a ping, ping-reqs and a stream ping) went unanswered; a member
	// that only heard of the suspicion, or confirmed it with a single
	// ping, checks the suspect once more before declaring it failed.
	probed bool
	// holds counts the times its verdict waited for this member to run
	// on time again (see holdVerdict).
	holds int
	// clockInc is the incarnation whose suspicion started this one's
	// clock, when it kept the clock of an earlier suspicion of a
	// flapping member (see suspect); 0 otherwise. Its verdict is
	// declared at that incarnation (see expireSuspicions).
	clockInc uint64
}

func (c *Core) suspicionBounds() (time.Duration, time.Duration) {
	n := float64(c.NumLive())
	mult := math.Max(1, math.Log10(math.Max(1, n)))
	min := time.Duration(float64(c.cfg.SuspicionMult) * mult * float64(c.cfg.ProbeInterval))
	return min, min * time.Duration(c.cfg.SuspicionMaxTimeoutMult)
}

func (c *Core) findSuspicion(id string) (int, *suspicion) {
	for i, s := range c.suspicions {
		if s.id == id {
			return i, s
		}
	}
	return -1, nil
}

// timeout is Lifeguard's shrinking suspicion timeout after c
// confirmations: from max with none to min at k, and past k on as
// min·(k+1)/(c+1), but not below two thirds of min (see the rule below).
//
// Confirmations past k. Lifeguard stops at min, which is the bulk of the
// time to detect a crash: at 64 members on the LAN preset, 3.6 s of the
// 5.65 s median until the last member declares it (gossip/sim, 40 seeds).
// Yet a crashed member draws more than k confirmations well before min
// runs out (every member that hears of the suspicion pings the suspect
// with probability 2(k+1)/N, and its regular probers fail too). Each one
// is a member that sent the suspect a ping carrying the suspicion, or ran
// its own probe, and got no answer; a live suspect that hears any of them
// refutes and sends the refutation straight to the accuser (tellAccuser).
// So each confirmation past k is one more missed chance for a live suspect
// to refute, and the wait shrinks with it. It stops at two thirds of min
// (reached at 5 confirmations with k = 3) for a suspect that is alive but
// not running: a stalled process misses every ping at once. Simulator,
// 64 members, before -> after: detection max at the LAN preset 5.65 s ->
// 4.52 s median over 40 seeds (TestExtraConfirmationsShortenSuspicion);
// false failure declarations at the local preset under 30% loss and 30%
// of streams failing, 60 s, seeds 1-20: 20 -> 22; with every member
// stalling every 500 ms for up to 500 ms, 30 s, seeds 1-15: 11 -> 11
// (a floor of half of min gave 3.85 s but 18 there: a 500 ms stall
// outlasts half of the local preset's 0.72 s min).
func (s *suspicion) timeout() time.Duration {
	c := len(s.from) - 1
	if c <= 0 || s.k <= 0 {
		return s.max
	}
	if c > s.k {
		return max(s.min*time.Duration(s.k+1)/time.Duration(c+1), s.min*2/3)
	}
	frac := math.Log(float64(c)+1) / math.Log(float64(s.k)+1)
	t := time.Duration(float64(s.max) - frac*float64(s.max-s.min))
	return max(t, s.min)
}

// suspect records a suspicion of m at incarnation inc by from.
func (c *Core) suspect(now time.Time, m *member, inc uint64, from string) {
	if _, s := c.findSuspicion(c.who(m).id); s != nil && m.state == StateSuspect && inc == m.inc {
		if slices.Contains(s.from, from) || len(s.from) >= max(MaxAccusers, 2*s.k+2) {
			return
		}
		s.from = append(s.from, from)
		s.deadline = s.start.Add(s.timeout())
		if len(s.from)-1 <= s.k {
			// Pass on new confirmations while they still shorten timeouts.
			c.queueUpdate(c.who(m).id, &wire.Suspect{Incarnation: inc, ID: c.who(m).id, From: from})
		}
		return
	}
	if inc < m.inc || m.state > StateSuspect {
		c.stats.Stale++
		return
	}
	wasAlive := m.state == StateAlive
	m.inc = inc
	if wasAlive {
		c.setState(now, m, StateSuspect)
	}
	c.stats.Suspicions++
	lo, hi := c.suspicionBounds()
	k := c.cfg.SuspicionConfirmations
	if c.NumLive()-2 < k {
		k = max(0, c.NumLive()-2)
	}
	s := &suspicion{id: c.who(m).id, inc: inc, start: now, min: lo, max: hi, k: k, from: []string{from}}
	if k == 0 {
		s.max = lo
	}
	if _, old := c.findSuspicion(c.who(m).id); old != nil && !wasAlive && c.damped(now, c.who(m).id) {
		// A flapping member suspected again at a later incarnation
		// (others believed its refutation) while this member still
		// suspects it: the suspicion keeps its clock and its checks, so
		// refutations at ever higher incarnations cannot hold off a
		// member that answers none of this member's checks.
		s.start, s.checks, s.answers = old.start, old.checks, old.answers
		// Its verdict is declared at the incarnation that started the
		// clock: declared at the later one, it reached members that had
		// only just suspected that incarnation, from an accuser other
		// than theirs, and each took it for its own verdict (handleDead).
		// Under stalls one member's verdict on a clock kept for seconds
		// was so declared by nearly every member within 0.2 s: TestStalls
		// (64 members, local preset, stalls every 500 ms of up to
		// 500 ms), with the periodic digest, seeds 1-30: 116 false
		// failure declarations, 60 and 28 of them on seeds 4 and 14,
		// against 30 when declared at the earlier incarnation (the
		// full-state push-pull of before: 25 either way). A member that
		// believed the refutation takes the earlier incarnation's death
		// as stale, and its own probes decide.
		s.clockInc = old.inc
		if old.clockInc != 0 {
			s.clockInc = old.clockInc
		}
	}
	s.deadline = s.start.Add(s.timeout())
	if i, _ := c.findSuspicion(c.who(m).id); i >= 0 {
		c.suspicions[i] = s
	} else {
		c.suspicions = append(c.suspicions, s)
	}
	msg := &wire.Suspect{Incarnation: inc, ID: c.who(m).id, From: from}
	c.queueUpdate(c.who(m).id, msg)
	if from == c.self.id {
		// Buddy system: the suspect hears it first.
		c.sendTo(m, msg)
	} else if c.shouldConfirm() {
		seq := c.nextSeq()
		c.confirms = append(c.confirms, confirm{target: c.who(m).id, inc: inc, seq: seq,
			deadline: now.Add(c.scaled(c.cfg.ProbeTimeout))})
		c.sendTo(m, &wire.Ping{Seq: seq, Source: c.self.id, Target: c.who(m).id}, msg)
	}
	if wasAlive {
		c.emitAccused(now, EventSuspect, m, s.from)
	}
}

// shouldConfirm decides whether to probe a suspect this member heard about.
// Each member does so with probability 2(k+1)/N, so a suspicion draws about
// 2(k+1) independent checks whatever the cluster size.
func (c *Core) shouldConfirm() bool {
	if c.cfg.DisableConfirmProbe || c.leaving || len(c.confirms) >= maxPending {
		return false
	}
	p := float64(2*(c.cfg.SuspicionConfirmations+1)) / float64(c.NumLive())
	return p >= 1 || c.rng.Float64() < p
}

func (c *Core) dropSuspicion(id string) {
	if i, _ := c.findSuspicion(id); i >= 0 {
		c.suspicions = slices.Delete(c.suspicions, i, i+1)
	}
}

func (c *Core) expireSuspicions(now time.Time) {
	for i := 0; i < len(c.suspicions); {
		s := c.suspicions[i]
		if now.Before(s.deadline) {
			i++
			continue
		}
		m := c.lookup(s.id)
		if m == nil || m.state != StateSuspect || m.inc != s.inc {
			c.suspicions = slices.Delete(c.suspicions, i, i+1)
			continue
		}
		if c.holdVerdict(now, s) {
			i++ // a check in flight may still be answered
			continue
		}
		if s.lastSeq != 0 {
			c.sampleReach(s.id, false) // the check got no answer
			c.dialMissed(now, s.id)
			s.lastSeq = 0
		}
		if s.refutation != nil && s.checks < c.refutationChecks() && !c.leaving {
			// A flapping member refuted: it is alive and can send. Before
			// declaring it failed, check whether it can receive.
			c.checkReachable(now, s, m, c.cfg.ProbeInterval)
			i++
			continue
		}
		if s.checks < maxLastChance && !c.leaving && (!s.probed || c.damped(now, s.id)) {
			// Last chance: this member has only heard of the suspicion,
			// or confirmed it with one unanswered ping (which heavy loss
			// explains as well as a failure).
			// Before declaring a failure on hearsay it checks the suspect
			// itself (directly, through others and over a stream). So
			// does a member whose own probe failed when the suspect
			// flaps: it has refuted recently, and the refutation of this
			// very suspicion may be the one gossip did not bring here.
			c.checkReachable(now, s, m, c.cfg.ProbeTimeout)
			i++
			continue
		}
		c.suspicions = slices.Delete(c.suspicions, i, i+1)
		c.stats.Failed++
		d := &wire.Dead{Incarnation: m.inc, ID: c.who(m).id, From: c.self.id}
		if s.clockInc != 0 {
			d.Incarnation = s.clockInc
		}
		c.setState(now, m, StateDead)
		c.queueUpdate(c.who(m).id, d)
		c.emitAccused(now, EventFailed, m, s.from)
	}
}
