package core

import (
	"fmt"
	"slices"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// userEpoch returns the first sequence number of a member that starts at
// incarnation inc: its broadcasts are numbered epoch<<32 + 1, + 2, ...,
// where the epoch is the low 32 bits of the starting incarnation. A member
// restarting under the same id starts at a higher incarnation (the runtime
// uses the wall clock in seconds, below 2^32 until 2106), so its new
// broadcasts number above everything it sent before and are not taken for
// duplicates of its earlier life's. Receivers need no change: they keep
// the highest number seen per origin and a window below it.
func userEpoch(inc uint64) uint64 { return uint64(uint32(inc)) << 32 }

type userSeen struct {
	max    uint64
	window uint64 // bit i set: seq max-1-i seen
}

// Broadcast queues an application payload for dissemination to every
// member (de-duplicated, retransmitted like membership updates). The local
// member does not receive its own broadcast. The payload is copied.
func (c *Core) Broadcast(now time.Time, payload []byte) error {
	c.start(now)
	if c.leaving {
		return ErrLeft
	}
	if len(payload) > wire.MaxPayloadSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooLarge, len(payload), wire.MaxPayloadSize)
	}
	c.userSeq++
	u := &wire.User{Origin: c.self.id, Seq: c.userSeq, Payload: slices.Clone(payload)}
	c.queueUser(u)
	return nil
}

func (c *Core) queueUser(u *wire.User) {
	for c.user.len() >= c.cfg.MaxUserQueue && c.user.dropOldest() {
		c.stats.UserDropped++
	}
	c.user.push("", wire.AppendMessage(nil, u))
}

func (c *Core) handleUser(now time.Time, u *wire.User) {
	if u.Origin == c.self.id {
		return
	}
	s := c.seen[u.Origin]
	if s == nil {
		if len(c.seen) > 4*len(c.members)+64 {
			c.stats.UserDuplicates++ // origin unknown and table full: drop
			return
		}
		s = &userSeen{}
		c.seen[u.Origin] = s
	}
	switch {
	case u.Seq > s.max:
		shift := u.Seq - s.max
		if shift >= 64 {
			s.window = 0
		} else {
			s.window = s.window<<shift | 1<<(shift-1)
		}
		if s.max == 0 {
			s.window = 0
		}
		s.max = u.Seq
	case u.Seq == s.max:
		c.stats.UserDuplicates++
		return
	default:
		d := s.max - u.Seq - 1
		if d >= 64 || s.window&(1<<d) != 0 {
			c.stats.UserDuplicates++
			return
		}
		s.window |= 1 << d
	}
	c.queueUser(u)
	c.events = append(c.events, Event{Type: EventUser, Time: now, Member: NodeView{ID: u.Origin, Meta: map[string]string{}}, Payload: u.Payload, Origin: c.origin})
}
