// The gossip_view_* functions: node views as handles.

package main

/*
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"maps"
	"slices"
	"sync"
	"unsafe"

	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
)

type viewObj struct {
	mu sync.Mutex
	v  core.NodeView
}

func getView(h C.gossip_view_t) (*viewObj, C.gossip_status) {
	v, ok := lookup[*viewObj](handles, uint64(h))
	if !ok {
		return nil, invalid("view", C.uint64_t(h))
	}
	return v, statusOK
}

// snapshot returns a copy of the view's value.
func (o *viewObj) snapshot() core.NodeView {
	o.mu.Lock()
	defer o.mu.Unlock()
	return cloneView(o.v)
}

//export gossip_view_create
func gossip_view_create(out *C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_create")
	if out == nil {
		return fail(errInvalidArgument, "gossip_view_create: out is NULL")
	}
	*out = C.gossip_view_t(handles.add(&viewObj{v: core.NodeView{Incarnation: 1, Meta: map[string]string{}}}))
	return statusOK
}

//export gossip_view_clone
func gossip_view_clone(h C.gossip_view_t, out *C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_clone")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_view_clone: out is NULL")
	}
	*out = C.gossip_view_t(handles.add(&viewObj{v: o.snapshot()}))
	return statusOK
}

//export gossip_view_destroy
func gossip_view_destroy(h C.gossip_view_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_destroy")
	if _, st := getView(h); st != statusOK {
		return st
	}
	handles.remove(uint64(h))
	return statusOK
}

// setViewString implements the string setters.
func setViewString(h C.gossip_view_t, s *C.lg_cchar, what string, max int, set func(*core.NodeView, string)) C.gossip_status {
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	v, ok := goString(s)
	if !ok {
		return fail(errInvalidArgument, "view %s is NULL", what)
	}
	if v == "" || len(v) > max {
		return fail(errInvalidArgument, "view %s %q: must be 1 to %d bytes", what, v, max)
	}
	o.mu.Lock()
	set(&o.v, v)
	o.mu.Unlock()
	return statusOK
}

func getViewString(h C.gossip_view_t, out **C.char, get func(core.NodeView) string) C.gossip_status {
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "out is NULL")
	}
	*out = C.CString(get(o.snapshot()))
	return statusOK
}

//export gossip_view_set_id
func gossip_view_set_id(h C.gossip_view_t, id *C.lg_cchar) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_set_id")
	return setViewString(h, id, "id", wire.MaxIDLen, func(v *core.NodeView, s string) { v.ID = s })
}

//export gossip_view_get_id
func gossip_view_get_id(h C.gossip_view_t, out **C.char) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_get_id")
	return getViewString(h, out, func(v core.NodeView) string { return v.ID })
}

//export gossip_view_set_address
func gossip_view_set_address(h C.gossip_view_t, addr *C.lg_cchar) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_set_address")
	return setViewString(h, addr, "address", wire.MaxAddrLen, func(v *core.NodeView, s string) { v.Addr = s })
}

//export gossip_view_get_address
func gossip_view_get_address(h C.gossip_view_t, out **C.char) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_get_address")
	return getViewString(h, out, func(v core.NodeView) string { return v.Addr })
}

//export gossip_view_set_state
func gossip_view_set_state(h C.gossip_view_t, state C.int) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_set_state")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	if state < 0 || state > stateMax {
		return fail(errInvalidArgument, "view state %d: want 0 to %d", int(state), int(stateMax))
	}
	o.mu.Lock()
	o.v.State = core.State(state)
	o.mu.Unlock()
	return statusOK
}

//export gossip_view_get_state
func gossip_view_get_state(h C.gossip_view_t, out *C.int) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_get_state")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_view_get_state: out is NULL")
	}
	*out = C.int(o.snapshot().State)
	return statusOK
}

//export gossip_view_set_incarnation
func gossip_view_set_incarnation(h C.gossip_view_t, inc C.uint64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_set_incarnation")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	o.mu.Lock()
	o.v.Incarnation = uint64(inc)
	o.mu.Unlock()
	return statusOK
}

//export gossip_view_get_incarnation
func gossip_view_get_incarnation(h C.gossip_view_t, out *C.uint64_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_get_incarnation")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	if out == nil {
		return fail(errInvalidArgument, "gossip_view_get_incarnation: out is NULL")
	}
	*out = C.uint64_t(o.snapshot().Incarnation)
	return statusOK
}

//export gossip_view_set_meta
func gossip_view_set_meta(h C.gossip_view_t, key, value *C.lg_cchar) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_set_meta")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	k, ok1 := goString(key)
	v, ok2 := goString(value)
	if !ok1 || !ok2 || k == "" {
		return fail(errInvalidArgument, "gossip_view_set_meta: key and value must be non-NULL and the key not empty")
	}
	o.mu.Lock()
	o.v.Meta[k] = v
	o.mu.Unlock()
	return statusOK
}

//export gossip_view_get_meta
func gossip_view_get_meta(h C.gossip_view_t, key *C.lg_cchar, out **C.char) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_get_meta")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	k, ok := goString(key)
	if !ok || out == nil {
		return fail(errInvalidArgument, "gossip_view_get_meta: key or out is NULL")
	}
	v, ok := o.snapshot().Meta[k]
	if !ok {
		return fail(errNotFound, "metadata key %q not set", k)
	}
	*out = C.CString(v)
	return statusOK
}

//export gossip_view_delete_meta
func gossip_view_delete_meta(h C.gossip_view_t, key *C.lg_cchar) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_delete_meta")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	k, ok := goString(key)
	if !ok {
		return fail(errInvalidArgument, "gossip_view_delete_meta: key is NULL")
	}
	o.mu.Lock()
	delete(o.v.Meta, k)
	o.mu.Unlock()
	return statusOK
}

//export gossip_view_meta_keys
func gossip_view_meta_keys(h C.gossip_view_t, keys ***C.char, n *C.size_t) (st C.gossip_status) {
	defer recoverTo(&st, "gossip_view_meta_keys")
	o, st := getView(h)
	if st != statusOK {
		return st
	}
	if keys == nil || n == nil {
		return fail(errInvalidArgument, "gossip_view_meta_keys: keys or n is NULL")
	}
	ks := slices.Sorted(maps.Keys(o.snapshot().Meta))
	*keys, *n = nil, 0
	if len(ks) == 0 {
		return statusOK
	}
	arr := (**C.char)(C.malloc(C.size_t(len(ks)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	s := unsafe.Slice(arr, len(ks))
	for i, k := range ks {
		s[i] = C.CString(k)
	}
	*keys, *n = arr, C.size_t(len(ks))
	return statusOK
}
