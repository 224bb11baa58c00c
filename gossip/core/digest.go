package core

import (
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

// Periodic anti-entropy by digest. A full-state exchange sends two tables
// of N records, so periodic exchanges made every member's traffic grow
// with N even once every table agreed (at 1,000 members, 148 bytes a
// member-second, against 26 for probing). Instead, the periodic
// exchange first sends a digest of this member's table (wire.Digest: the
// number of records and the sum of their hashes, about 20 bytes) in a
// packet. A partner whose table gives the same digest holds the same
// records and does nothing more; one whose table differs starts a
// full-state exchange with the sender, as the periodic exchange did
// before. In a steady cluster traffic per member is then flat in N, and
// whatever gossip missed is still repaired within one interval of the
// periodic exchange. The join, catch-up, repair and reconnect exchanges,
// which are made because tables are expected to differ, stay full.

// identHash hashes one identity: FNV-1a over the id, the address and the
// metadata, each followed by a zero byte. A collision between two tables'
// digests would only leave one difference to the next exchange or to
// gossip.
func identHash(id, addr, meta string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, s := range [3]string{id, addr, meta} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		h *= prime // the separator, a zero byte
	}
	return h
}

// mix64 is splitmix64's finalizer: it spreads every input bit over the
// output, so that sums of record hashes do not cancel out.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// recordHash is the hash of one record of a full-state table: its
// identity, state and incarnation.
func recordHash(ident uint64, st State, inc uint64) uint64 {
	return mix64(ident ^ mix64(inc*4+uint64(st)+1))
}

// digest summarizes the table a full-state exchange would send: this
// member's own record and every member it holds.
func (c *Core) digest() *wire.Digest {
	d := &wire.Digest{From: c.self.id, Count: uint64(len(c.members)) + 1}
	d.Sum = recordHash(identHash(c.self.id, c.self.addr, c.self.meta), c.self.state, c.self.inc)
	for i := range c.members {
		m := &c.members[i]
		p := c.who(m)
		d.Sum += recordHash(identHash(p.id, p.addr, p.meta), m.state, m.inc)
	}
	return d
}

// digestRandom sends this member's digest to one random live member (the
// periodic exchange).
func (c *Core) digestRandom() {
	idx := c.randomMembers(1, func(m *member) bool { return m.state == StateAlive })
	if len(idx) == 1 {
		c.stats.Digests++
		c.sendTo(&c.members[idx[0]], c.digest())
	}
}

// handleDigest starts a full-state exchange with the sender when its
// table differs from this member's. Only a live member this member knows
// is answered, at the address it knows (a packet's source can be forged,
// and a small digest must not buy a large table sent elsewhere), and at
// most once a gossip interval.
func (c *Core) handleDigest(now time.Time, d *wire.Digest) {
	if c.leaving || d.From == c.self.id {
		return
	}
	m := c.lookup(d.From)
	if m == nil || m.state != StateAlive {
		return
	}
	own := c.digest()
	if own.Count == d.Count && own.Sum == d.Sum {
		return
	}
	if !c.lastDigestSync.IsZero() && now.Sub(c.lastDigestSync) < c.cfg.GossipInterval {
		return
	}
	c.lastDigestSync = now
	c.sendPushPull(c.who(m).addr, false, false)
}
