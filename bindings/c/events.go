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

// the in-callback check (0 for a core).
func deliverEvent(fn C.gossip_event_fn, user C.uintptr_t, e core.Event, node uint64) {
	if fn == nil {
		return
	}
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
	C.lg_call_event(fn, user, ev, C.uint64_t(node))
}
