package core

import "time"

// repairRounds is how many gossip intervals after its update queue last
// overflowed a member makes its repair exchange (see noteDropped).
const repairRounds = 2

// noteDropped records that the update queue just dropped an update before
// it was sent its full number of times. Gossip then no longer guarantees
// that every member hears it: during a join burst every queue overflows,
// and a few members miss a few announcements for good. Rather than leave
// them to the periodic full-state exchange (minutes apart in a large
// cluster), a member whose queue overflowed makes one exchange with a
// random live member repairRounds gossip intervals after its last drop,
// that is once the burst is over. Misses are rare, so the partner almost
// surely holds what this member missed, and its reply repairs it; what
// this member's table teaches the partner is gossiped on from there.
// Nothing is done when periodic exchanges are disabled.
func (c *Core) noteDropped() {
	if c.cfg.PushPullInterval > 0 {
		c.nextRepair = c.now.Add(repairRounds * c.cfg.GossipInterval)
	}
}

// repair makes the repair exchange once it is due.
func (c *Core) repair(now time.Time) {
	if c.nextRepair.IsZero() || now.Before(c.nextRepair) {
		return
	}
	c.nextRepair = time.Time{}
	if !c.leaving {
		c.pushPullRandom(now)
	}
}
