package core

import (
	"time"
)

// flap counts the refuted suspicions of one member.
type flap struct {
	count int
	last  time.Time
}

// recordFlap notes that member id refuted a suspicion.
func (c *Core) recordFlap(now time.Time, id string) {
	f := c.flaps[id]
	if f == nil {
		f = &flap{}
		c.flaps[id] = f
	}
	if now.Sub(f.last) > c.cfg.FlapWindow {
		f.count = 0
	}
	f.count++
	f.last = now
}

// damped reports whether member id has refuted FlapThreshold suspicions
// within FlapWindow: it flaps (a member that can send but hardly receive,
// on and off), and its refutations are no longer believed.
func (c *Core) damped(now time.Time, id string) bool {
	if c.cfg.FlapThreshold < 0 {
		return false
	}
	f := c.flaps[id]
	return f != nil && f.count >= c.cfg.FlapThreshold && now.Sub(f.last) <= c.cfg.FlapWindow
}
