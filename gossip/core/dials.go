package core

import "time"

// Stream dial back-off. A probe that gets no direct ack, and every
// reachability check, also pings the target over a stream, which costs a
// connection set-up at both ends. Under heavy loss most probes and checks
// need that fallback, and when dials fail too (a congested or firewalled
// network) the same member is dialled again and again in vain. So after a
// stream ping to a member goes unanswered, the next one to it waits: one
// probe interval, doubling with each further miss up to maxDialBackoff
// intervals. A stream ack from the member clears the back-off. The
// packet ping and ping-reqs are always sent; only the stream is skipped.

// maxDialBackoff caps the back-off, in probe intervals.
const maxDialBackoff = 8

// dialState is the back-off of stream pings to one member.
type dialState struct {
	pending bool          // a stream ping is out, not yet answered
	backoff time.Duration // current back-off, 0 before the first miss
	until   time.Time     // no stream ping before this
}

// mayDial reports whether a stream ping to member id may be sent now, and
// if so notes it as pending.
func (c *Core) mayDial(now time.Time, id string) bool {
	if c.cfg.DisableFallbackProbe {
		return false
	}
	d := c.dials[id]
	if d == nil {
		if len(c.dials) >= maxDialStates {
			return true // untracked: never skipped
		}
		d = &dialState{}
		c.dials[id] = d
	}
	if now.Before(d.until) {
		c.stats.DialsSkipped++
		return false
	}
	d.pending = true
	return true
}

// maxDialStates bounds the members with a back-off held at once.
const maxDialStates = 1024

// dialAnswered clears the back-off of member id after a stream ack.
func (c *Core) dialAnswered(id string) { delete(c.dials, id) }

// dialMissed notes that the pending stream ping to member id, if any,
// went unanswered in time, and backs off.
func (c *Core) dialMissed(now time.Time, id string) {
	d := c.dials[id]
	if d == nil || !d.pending {
		return
	}
	d.pending = false
	d.backoff = min(max(2*d.backoff, c.cfg.ProbeInterval), maxDialBackoff*c.cfg.ProbeInterval)
	d.until = now.Add(d.backoff)
}
