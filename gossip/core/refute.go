package core

import "time"

// Telling accusers directly. A refutation spreads by gossip like any
// update, but the member that made the accusation is the one that most
// needs it (its own suspicion runs to a failure unless it hears the
// refutation in time), and under heavy loss a gossiped update misses a
// few members. So a member that refutes also sends its announcement
// straight to the accuser, and again to a member whose suspicion of an
// incarnation it has already refuted reaches it. Each accuser is told at
// most maxTold times per incarnation, so forged or repeated suspicions
// cost a bounded number of packets.

// maxTold bounds the direct refutations one accuser gets per incarnation;
// maxToldAccusers bounds the accusers remembered per incarnation.
const (
	maxTold         = 2
	maxToldAccusers = 32
	// tellHealth is the share of this member's own direct pings that
	// must be answered for it to tell accusers directly. A member that
	// hardly receives (it answers few pings and gets few acks) has
	// evidently lost its inbound path; it does not push its
	// refutations past the members' own reachability checks.
	tellHealth = 0.2
)

// tellAccuser sends the local member's announcement to accuser, a known
// live member, within the limits above.
func (c *Core) tellAccuser(now time.Time, accuser string) {
	if accuser == "" || accuser == c.self.id || c.leaving || c.directAcks < tellHealth {
		return
	}
	m := c.lookup(accuser)
	if m == nil || m.state > StateSuspect {
		return
	}
	if c.toldInc != c.self.inc {
		clear(c.told)
		c.toldInc = c.self.inc
	}
	n := c.told[accuser]
	if n >= maxTold || (n == 0 && len(c.told) >= maxToldAccusers) {
		return
	}
	c.told[accuser] = n + 1
	c.sendPacket(c.who(m).addr, c.selfAlive())
}
