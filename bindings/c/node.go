// The gossip_node_* functions: a networked member over the built-in
// transport, and its event dispatcher.

package main

/*
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/codec"
	"github.com/libgossip/libgossip/net/security"
)

// nodeObj is a gossip.Node with its event dispatcher: one goroutine that
// reads a subscription and calls the C callback through gate, which stop
// shuts, so that no callback runs once stop has returned GOSSIP_OK.
type nodeObj struct {
	h    uint64
	n    *gossip.Node
	sub  *gossip.Subscription
	gate gate

	mu      sync.Mutex
	cb      C.gossip_event_fn
	user    C.uintptr_t
	started bool
	stopped bool
}

func getNode(h C.gossip_node_t) (*nodeObj, C.gossip_status) {
	n, ok := lookup[*nodeObj](handles, uint64(h))
	if !ok {
		return nil, invalid("node", C.uint64_t(h))
	}
	return n, statusOK
}

// dispatch delivers events until the subscription closes. Once the gate is
// shut it only drains the subscription, calling nothing.
func (o *nodeObj) dispatch() {
	for e := range o.sub.C {
		o.mu.Lock()
		cb, user := o.cb, o.user
		o.mu.Unlock()
		deliverEvent(&o.gate, cb, user, e, o.h)
	}
}

// logger returns the logger for nodes: silent unless LIBGOSSIP_LOG names a
// level (debug, info, warn, error), then text on stderr.
func logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(os.Getenv(envLogLevel))); err != nil || os.Getenv(envLogLevel) == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}

//export gossip_node_create
func gossip_node_create(cfg *C.lg_cconfig, id, bind *C.lg_cchar, out *C.gossip_node_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_create")
	if out == nil {
		return fail(errInvalidArgument, "gossip_node_create: out is NULL")
	}
	sid, ok1 := goString(id)
	sbind, ok2 := goString(bind)
	if !ok1 || !ok2 || sid == "" || sbind == "" {
		return fail(errInvalidArgument, "gossip_node_create: id and bind must be non-empty strings")
	}
	c, st := goConfig(cfg)
	if st != statusOK {
		return st
	}
	c.ID = sid
	log := logger()
	nopts := []lgnet.Option{lgnet.WithLogger(log)}
	var gopts []gossip.Option
	gopts = append(gopts, gossip.WithLogger(log))
	if cfg != nil {
		str := func(p *C.char) string {
			s, _ := goString((*C.lg_cchar)(unsafe.Pointer(p)))
			return s
		}
		cd, err := codec.Lookup(str(cfg.codec))
		if err != nil {
			return failErr(errInvalidArgument, err)
		}
		gopts = append(gopts, gossip.WithCodec(cd))
		if k := str(cfg.key_base64); k != "" {
			key, err := security.ParseKey(k)
			if err != nil {
				return failErr(errInvalidArgument, err)
			}
			ring, err := security.NewKeyring(key)
			if err != nil {
				return failErr(errInvalidArgument, err)
			}
			nopts = append(nopts, lgnet.WithKeyring(ring))
		}
		if l := str(cfg.label); l != "" {
			nopts = append(nopts, lgnet.WithLabel(l))
		}
	}
	tr, err := lgnet.New(sbind, nopts...)
	if err != nil {
		return failErr(errInvalidArgument, err)
	}
	n, err := gossip.New(c, tr, gopts...)
	if err != nil {
		return failErr(errInvalidArgument, err)
	}
	o := &nodeObj{n: n, sub: n.Subscribe(nodeEventBuffer)}
	o.h = handles.add(o)
	*out = C.gossip_node_t(o.h)
	return statusOK
}

//export gossip_node_set_event_callback
func gossip_node_set_event_callback(h C.gossip_node_t, fn C.gossip_event_fn, user unsafe.Pointer) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_set_event_callback")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	o.mu.Lock()
	o.cb, o.user = fn, C.uintptr_t(uintptr(user))
	o.mu.Unlock()
	return statusOK
}

//export gossip_node_start
func gossip_node_start(h C.gossip_node_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_start")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started || o.stopped {
		return fail(errState, "gossip_node_start: node already started or stopped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultStopTimeout)
	defer cancel()
	if err := o.n.Start(ctx); err != nil {
		return failErr(errNetwork, err)
	}
	o.started = true
	go o.dispatch()
	return statusOK
}

//export gossip_node_address
func gossip_node_address(h C.gossip_node_t, out **C.char) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_address")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_node_address: out is NULL")
	}
	*out = C.CString(o.n.LocalNode().Addr)
	return statusOK
}

//export gossip_node_join
func gossip_node_join(h C.gossip_node_t, seeds *C.lg_cstr, n C.size_t, timeoutMS C.int64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_join")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	ss, st := goStrings(seeds, n, "seeds")
	if st != statusOK {
		return st
	}
	if len(ss) == 0 {
		return fail(errInvalidArgument, "gossip_node_join: no seed addresses")
	}
	ctx, cancel := context.WithTimeout(context.Background(), goTimeout(timeoutMS, defaultJoinTimeout))
	defer cancel()
	if err := o.n.Join(ctx, ss...); err != nil {
		return failErr(errNetwork, err)
	}
	return statusOK
}

//export gossip_node_meet
func gossip_node_meet(h C.gossip_node_t, v C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_meet")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	vo, st := getView(v)
	if st != statusOK {
		return st
	}
	if err := o.n.Meet(vo.snapshot()); err != nil {
		return failErr(errInvalidArgument, err)
	}
	return statusOK
}

//export gossip_node_members
func gossip_node_members(h C.gossip_node_t, liveOnly C.int, views **C.gossip_view_t, n *C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_members")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	if views == nil || n == nil {
		return fail(errInvalidArgument, "gossip_node_members: views or n is NULL")
	}
	vs := o.n.Members()
	if liveOnly != 0 {
		vs = o.n.LiveMembers()
	}
	cViews(vs, views, n)
	return statusOK
}

//export gossip_node_local_node
func gossip_node_local_node(h C.gossip_node_t, out *C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_local_node")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_node_local_node: out is NULL")
	}
	*out = C.gossip_view_t(handles.add(&viewObj{v: cloneView(o.n.LocalNode())}))
	return statusOK
}

//export gossip_node_set_meta
func gossip_node_set_meta(h C.gossip_node_t, keys, values *C.lg_cstr, n C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_set_meta")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	m, st := goMeta(keys, values, n)
	if st != statusOK {
		return st
	}
	if err := o.n.SetMeta(m); err != nil {
		return failErr(errInvalidArgument, err)
	}
	return statusOK
}

//export gossip_node_broadcast
func gossip_node_broadcast(h C.gossip_node_t, data *C.lg_cbyte, n C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_broadcast")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	b, st := goBytes(data, n)
	if st != statusOK {
		return st
	}
	if err := o.n.Broadcast(b); err != nil {
		return failErr(errInvalidArgument, err)
	}
	return statusOK
}

//export gossip_node_stats
func gossip_node_stats(h C.gossip_node_t, out *C.gossip_stats) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_stats")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_node_stats: out is NULL")
	}
	s := o.n.Stats()
	fillStats(out, s.Stats)
	out.malformed = C.uint64_t(s.Malformed + s.DecodeErrors)
	return statusOK
}

//export gossip_node_leave
func gossip_node_leave(h C.gossip_node_t, timeoutMS C.int64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_leave")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	ctx, cancel := context.WithTimeout(context.Background(), goTimeout(timeoutMS, defaultStopTimeout))
	defer cancel()
	if err := o.n.Leave(ctx); err != nil {
		return failErr(errState, err)
	}
	return statusOK
}

// stop shuts the gate, shuts the node down (the first time) and waits until
// no event callback is running. It returns errTimeout while a callback still
// runs after timeout; a later stop waits for it again.
func (o *nodeObj) stop(timeout time.Duration) C.gossip_status {
	if inCallback(o.h) {
		return fail(errState, "cannot stop or destroy node %d from its own event callback", o.h)
	}
	o.gate.shut()
	o.mu.Lock()
	first := !o.stopped
	o.stopped = true
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	if first {
		err = o.n.Shutdown(ctx)
		o.sub.Close() // the dispatcher drains what is left and exits
	}
	if o.gate.wait(ctx) != nil {
		return fail(errTimeout, "gossip_node_stop: event callback of node %d still running after %v; "+
			"no new callback starts; stop again to wait for it", o.h, timeout)
	}
	if err != nil {
		return failErr(errInternal, err)
	}
	return statusOK
}

//export gossip_node_stop
func gossip_node_stop(h C.gossip_node_t, timeoutMS C.int64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_stop")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	return o.stop(goTimeout(timeoutMS, defaultStopTimeout))
}

//export gossip_node_destroy
func gossip_node_destroy(h C.gossip_node_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_destroy")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	// errTimeout keeps the handle: a callback still runs with the user
	// pointer, and the caller must not free it yet.
	if st := o.stop(defaultStopTimeout); st != statusOK && st != errInternal {
		return st
	}
	handles.remove(uint64(h))
	return statusOK
}

//export gossip_node_events_dropped
func gossip_node_events_dropped(h C.gossip_node_t, out *C.uint64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_node_events_dropped")
	o, st := getNode(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_node_events_dropped: out is NULL")
	}
	*out = C.uint64_t(o.sub.Dropped())
	return statusOK
}
