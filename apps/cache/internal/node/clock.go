package node

import (
	"sync/atomic"
	"time"
)

// batchClock is the physical clock under the node's HLC: the system time
// as last read by the node's own code (touch), so that the writes of a
// batch of commands share one reading instead of one each (a reading
// costs about as much as executing a SET).
//
// A version stamped from it is at most as old as the last touch: a
// batch touches it when it starts, when it runs more commands after
// waiting on other members, and after every read (a read may wait on a
// key's lock or on other replicas); the internal server touches it
// before adopting a replicated version, so the HLC's skew check compares
// against the current time. Between touches there is only local work.
type batchClock struct{ ns atomic.Int64 }

// touch records the current time, read now.
func (c *batchClock) touch() { c.ns.Store(time.Now().UnixNano()) }

// touchAt records t, a reading just taken.
func (c *batchClock) touchAt(t time.Time) { c.ns.Store(t.UnixNano()) }

// physical is the HLC's physical clock (clock.Config.Physical).
func (c *batchClock) physical() time.Time { return time.Unix(0, c.ns.Load()) }
