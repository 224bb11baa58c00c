// The gossip_core_* functions: the protocol core driven by the caller.

package main

/*
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"context"
	"sync"
	"unsafe"

	"github.com/libgossip/libgossip/gossip/core"
)

// coreObj is a core.Core behind a lock. Output is drained under the lock
// and delivered to the callbacks after it is released, through the gate
// that gossip_core_destroy shuts.
type coreObj struct {
	h       uint64
	gate    gate
	mu      sync.Mutex
	c       *core.Core
	closed  bool
	send    C.gossip_send_fn
	onEvent C.gossip_event_fn
	user    C.uintptr_t
}

func getCore(h C.gossip_core_t) (*coreObj, C.gossip_status) {
	c, ok := lookup[*coreObj](handles, uint64(h))
	if !ok {
		return nil, invalid("core", C.uint64_t(h))
	}
	return c, statusOK
}

// do runs fn on the core like with, and turns its error into a status,
// def unless the error says otherwise.
func (o *coreObj) do(def C.gossip_status, fn func(c *core.Core) error) C.gossip_status {
	return o.with(func(c *core.Core) C.gossip_status {
		if err := fn(c); err != nil {
			return failErr(def, err)
		}
		return statusOK
	})
}

// with runs fn on the core under its lock, then delivers the output.
func (o *coreObj) with(fn func(c *core.Core) C.gossip_status) C.gossip_status {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return fail(errInvalidHandle, "core destroyed")
	}
	st := fn(o.c)
	rd := o.c.Ready()
	send, onEvent, user := o.send, o.onEvent, o.user
	o.mu.Unlock()
	for _, m := range rd.Messages {
		deliverPacket(&o.gate, send, user, m, o.h)
	}
	for _, e := range rd.Events {
		deliverEvent(&o.gate, onEvent, user, e, o.h)
	}
	return st
}

//export gossip_core_create
func gossip_core_create(cfg *C.lg_cconfig, self C.gossip_view_t, send C.gossip_send_fn, onEvent C.gossip_event_fn, user unsafe.Pointer, out *C.gossip_core_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_create")
	if out == nil {
		return fail(errInvalidArgument, "gossip_core_create: out is NULL")
	}
	v, st := getView(self)
	if st != statusOK {
		return st
	}
	c, st := goConfig(cfg)
	if st != statusOK {
		return st
	}
	sv := v.snapshot()
	c.ID, c.Addr, c.Meta, c.Incarnation = sv.ID, sv.Addr, sv.Meta, sv.Incarnation
	if c.ID == "" {
		c.ID = c.Addr
	}
	cc, err := core.New(c)
	if err != nil {
		return failErr(errInvalidArgument, err)
	}
	o := &coreObj{c: cc, send: send, onEvent: onEvent, user: C.uintptr_t(uintptr(user))}
	o.h = handles.add(o)
	*out = C.gossip_core_t(o.h)
	return statusOK
}

//export gossip_core_destroy
func gossip_core_destroy(h C.gossip_core_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_destroy")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	handles.remove(uint64(h))
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.gate.shut()
	if !inCallback(o.h) {
		// Callbacks of calls made on other threads before destroy may be
		// running; they hold the caller's user pointer, so wait for them.
		// From inside one of this core's callbacks, waiting would wait for
		// the caller itself.
		_ = o.gate.wait(context.Background())
	}
	return statusOK
}

//export gossip_core_tick
func gossip_core_tick(h C.gossip_core_t, now C.int64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_tick")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	return o.with(func(c *core.Core) C.gossip_status { c.Tick(goTime(now)); return statusOK })
}

//export gossip_core_next_deadline
func gossip_core_next_deadline(h C.gossip_core_t, out *C.int64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_next_deadline")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_core_next_deadline: out is NULL")
	}
	return o.with(func(c *core.Core) C.gossip_status {
		d := c.NextDeadline()
		if d.IsZero() {
			*out = 0
		} else {
			*out = C.int64_t(d.UnixMilli())
		}
		return statusOK
	})
}

//export gossip_core_handle_message
func gossip_core_handle_message(h C.gossip_core_t, now C.int64_t, from *C.lg_cchar, data *C.lg_cbyte, n C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_handle_message")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	f, ok := goString(from)
	if !ok {
		return fail(errInvalidArgument, "gossip_core_handle_message: from is NULL")
	}
	b, st := goBytes(data, n)
	if st != statusOK {
		return st
	}
	return o.with(func(c *core.Core) C.gossip_status {
		if err := c.HandleMessage(goTime(now), f, b); err != nil {
			return fail(errMalformed, "gossip_core_handle_message: %d bytes from %q: %v", len(b), f, err)
		}
		return statusOK
	})
}

//export gossip_core_meet
func gossip_core_meet(h C.gossip_core_t, now C.int64_t, v C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_meet")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	vo, st := getView(v)
	if st != statusOK {
		return st
	}
	nv := vo.snapshot()
	return o.do(errInvalidArgument, func(c *core.Core) error { return c.Meet(goTime(now), nv) })
}

//export gossip_core_join
func gossip_core_join(h C.gossip_core_t, now C.int64_t, seeds *C.lg_cstr, n C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_join")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	ss, st := goStrings(seeds, n, "seeds")
	if st != statusOK {
		return st
	}
	return o.do(errInvalidArgument, func(c *core.Core) error { return c.Join(goTime(now), ss) })
}

//export gossip_core_leave
func gossip_core_leave(h C.gossip_core_t, now C.int64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_leave")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	return o.do(errState, func(c *core.Core) error { return c.Leave(goTime(now)) })
}

//export gossip_core_set_meta
func gossip_core_set_meta(h C.gossip_core_t, now C.int64_t, keys, values *C.lg_cstr, n C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_set_meta")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	m, st := goMeta(keys, values, n)
	if st != statusOK {
		return st
	}
	return o.do(errInvalidArgument, func(c *core.Core) error { return c.SetMeta(goTime(now), m) })
}

//export gossip_core_broadcast
func gossip_core_broadcast(h C.gossip_core_t, now C.int64_t, data *C.lg_cbyte, n C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_broadcast")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	b, st := goBytes(data, n)
	if st != statusOK {
		return st
	}
	return o.do(errInvalidArgument, func(c *core.Core) error { return c.Broadcast(goTime(now), b) })
}

//export gossip_core_local_node
func gossip_core_local_node(h C.gossip_core_t, out *C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_local_node")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_core_local_node: out is NULL")
	}
	return o.with(func(c *core.Core) C.gossip_status {
		*out = C.gossip_view_t(handles.add(&viewObj{v: cloneView(c.LocalNode())}))
		return statusOK
	})
}

//export gossip_core_members
func gossip_core_members(h C.gossip_core_t, views **C.gossip_view_t, n *C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_members")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	if views == nil || n == nil {
		return fail(errInvalidArgument, "gossip_core_members: views or n is NULL")
	}
	var vs []core.NodeView
	st = o.with(func(c *core.Core) C.gossip_status { vs = c.Members(); return statusOK })
	if st == statusOK {
		cViews(vs, views, n)
	}
	return st
}

func fillStats(out *C.gossip_stats, s core.Stats) {
	out.packets_in, out.packets_out = C.uint64_t(s.PacketsIn), C.uint64_t(s.PacketsOut)
	out.bytes_in, out.bytes_out = C.uint64_t(s.BytesIn), C.uint64_t(s.BytesOut)
	out.malformed = C.uint64_t(s.Malformed)
	out.probes, out.probes_failed = C.uint64_t(s.Probes), C.uint64_t(s.ProbesFailed)
	out.suspicions, out.failed = C.uint64_t(s.Suspicions), C.uint64_t(s.Failed)
	out.members, out.live_members = C.int64_t(s.Members), C.int64_t(s.LiveMembers)
}

//export gossip_core_stats
func gossip_core_stats(h C.gossip_core_t, out *C.gossip_stats) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_core_stats")
	o, st := getCore(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_core_stats: out is NULL")
	}
	return o.with(func(c *core.Core) C.gossip_status { fillStats(out, c.Stats()); return statusOK })
}
