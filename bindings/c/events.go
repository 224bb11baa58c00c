// Delivery of events to C callbacks.

package main

/*
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"unsafe"

	"github.com/libgossip/libgossip/gossip/core"
)

// deliverEvent calls fn with a C copy of e, through g: nothing is called
// once g is shut. h is the core or node handle, recorded for the calling
// thread during the callback (see lg_in_callback). It reports whether the
// callback ran.
func deliverEvent(g *gate, fn C.gossip_event_fn, user C.uintptr_t, e core.Event, h uint64) bool {
	if fn == nil {
		return false
	}
	if !g.enter() {
		return false
	}
	defer g.leave()
	id := C.CString(e.Member.ID)
	addr := C.CString(e.Member.Addr)
	defer C.free(unsafe.Pointer(id))
	defer C.free(unsafe.Pointer(addr))
	vh := handles.add(&viewObj{v: cloneView(e.Member)})
	defer handles.remove(vh)
	ev := (*C.gossip_event)(C.calloc(1, C.size_t(unsafe.Sizeof(C.gossip_event{}))))
	defer C.free(unsafe.Pointer(ev))
	ev._type = C.int(e.Type)
	ev.id, ev.address = id, addr
	ev.state = C.int(e.Member.State)
	ev.incarnation = C.uint64_t(e.Member.Incarnation)
	ev.member = C.gossip_view_t(vh)
	if len(e.Payload) > 0 {
		p := C.CBytes(e.Payload)
		defer C.free(p)
		ev.payload = (*C.uint8_t)(p)
		ev.payload_len = C.size_t(len(e.Payload))
	}
	if !e.Time.IsZero() {
		ev.time_ms = C.int64_t(e.Time.UnixMilli())
	}
	ev.origin = cOrigin(e.Origin)
	if acc := cAccusers(e.Accusers); acc != nil {
		defer acc.free()
		ev.accusers = acc.ptr
		ev.accusers_len = C.size_t(acc.n)
	}
	C.lg_call_event(fn, user, ev, C.uint64_t(h))
	return true
}

// cOrigin maps a core origin to its GOSSIP_ORIGIN_* constant; an origin
// this binding does not know becomes GOSSIP_ORIGIN_UNKNOWN.
func cOrigin(o core.EventOrigin) C.int {
	switch o {
	case core.OriginLocal:
		return C.GOSSIP_ORIGIN_LOCAL
	case core.OriginGossip:
		return C.GOSSIP_ORIGIN_GOSSIP
	}
	return C.GOSSIP_ORIGIN_UNKNOWN
}

// cStrArray is a C array of C strings allocated with malloc.
type cStrArray struct {
	ptr **C.lg_cchar
	n   int
}

// cAccusers copies at most GOSSIP_MAX_ACCUSERS ids into a C array, or
// returns nil when there are none. The caller frees it after the callback.
func cAccusers(ids []string) *cStrArray {
	if len(ids) > C.GOSSIP_MAX_ACCUSERS {
		ids = ids[:C.GOSSIP_MAX_ACCUSERS]
	}
	if len(ids) == 0 {
		return nil
	}
	ptr := (**C.lg_cchar)(C.calloc(C.size_t(len(ids)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	arr := unsafe.Slice(ptr, len(ids))
	for i, id := range ids {
		arr[i] = C.CString(id)
	}
	return &cStrArray{ptr: ptr, n: len(ids)}
}

// free releases the strings and the array.
func (a *cStrArray) free() {
	for _, p := range unsafe.Slice(a.ptr, a.n) {
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(a.ptr))
}

// deliverPacket calls a core's send callback with C copies of m, through g
// like deliverEvent.
func deliverPacket(g *gate, fn C.gossip_send_fn, user C.uintptr_t, m core.Outbound, h uint64) {
	if fn == nil || !g.enter() {
		return
	}
	defer g.leave()
	to := C.CString(m.To)
	data := C.CBytes(m.Data)
	defer C.free(data)
	defer C.free(unsafe.Pointer(to))
	rel := C.int(0)
	if m.Reliable {
		rel = 1
	}
	C.lg_call_send(fn, user, to, (*C.uint8_t)(data), C.size_t(len(m.Data)), rel, C.uint64_t(h))
}

// inCallback reports whether the calling thread is inside a callback of
// handle h (possibly nested in callbacks of other handles).
func inCallback(h uint64) bool { return C.lg_in_callback(C.uint64_t(h)) != 0 }
