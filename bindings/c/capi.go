package main

/*
#cgo CFLAGS: -std=gnu11 -Wall
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/core"
	"github.com/libgossip/libgossip/gossip/wire"
	lgnet "github.com/libgossip/libgossip/net"
	"github.com/libgossip/libgossip/net/codec"
	"github.com/libgossip/libgossip/net/security"
)

// Version is the library version reported by gossip_version.
const Version = "0.1.0"

// handles is the one registry of every object given to C. A C API needs
// process-wide state: C holds plain integers and every entry point must find
// the object behind one.
var handles = newRegistry()

var cVersion = (*C.lg_cchar)(unsafe.Pointer(C.CString(Version))) // static for the process; never freed

func main() {} // required by -buildmode=c-shared and c-archive

// ---- errors -----------------------------------------------------------------

// Status codes; they mirror libgossip.h.
const (
	statusOK              = C.GOSSIP_OK
	errInvalidArgument    = C.GOSSIP_ERR_INVALID_ARGUMENT
	errInvalidHandle      = C.GOSSIP_ERR_INVALID_HANDLE
	errMalformed          = C.GOSSIP_ERR_MALFORMED
	errState              = C.GOSSIP_ERR_STATE
	errNetwork            = C.GOSSIP_ERR_NETWORK
	errTimeout            = C.GOSSIP_ERR_TIMEOUT
	errNotFound           = C.GOSSIP_ERR_NOT_FOUND
	errInternal           = C.GOSSIP_ERR_INTERNAL
	defaultJoinTimeout    = 10 * time.Second
	defaultStopTimeout    = 5 * time.Second
	nodeEventBuffer       = 4096
	maxSeeds              = 1 << 16
	maxMetaPairs          = 1 << 12
	maxBytesFromC         = 64 << 20
	maxCString            = 1 << 20
	envLogLevel           = "LIBGOSSIP_LOG"
	stateMax              = C.GOSSIP_STATE_LEFT
	invalidHandleTemplate = "invalid %s handle %d"
)

// fail records msg as the calling thread's last error and returns st. A
// cgo call runs on the calling C thread, so the C thread-local is the
// caller's.
func fail(st C.gossip_status, format string, args ...any) C.gossip_status {
	msg := C.CString(fmt.Sprintf(format, args...))
	C.lg_set_error(msg)
	C.free(unsafe.Pointer(msg))
	return st
}

// failErr maps err to a status (def when nothing more specific fits) and
// records its message.
func failErr(def C.gossip_status, err error) C.gossip_status {
	st := def
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		st = errTimeout
	case errors.Is(err, core.ErrLeft), errors.Is(err, gossip.ErrNotRunning), errors.Is(err, gossip.ErrStarted):
		st = errState
	case errors.Is(err, gossip.ErrJoin):
		st = errNetwork
	case errors.Is(err, core.ErrConfig), errors.Is(err, core.ErrMetaTooLarge),
		errors.Is(err, core.ErrPayloadTooLarge), errors.Is(err, core.ErrNoSeeds):
		st = errInvalidArgument
	}
	return fail(st, "%s", err.Error())
}

// recoverTo turns a panic into errInternal; every export defers it.
func recoverTo(st *C.gossip_status, fn string) {
	if r := recover(); r != nil {
		*st = fail(errInternal, "libgossip: internal error in %s: %v", fn, r)
	}
}

func invalid(kind string, h C.uint64_t) C.gossip_status {
	return fail(errInvalidHandle, invalidHandleTemplate, kind, uint64(h))
}

// ---- conversions ------------------------------------------------------------

// goString copies a C string; ok is false for NULL or an absurd length.
func goString(s *C.lg_cchar) (string, bool) {
	if s == nil {
		return "", false
	}
	p := (*C.char)(unsafe.Pointer(s))
	n := C.strnlen(p, maxCString+1)
	if n > maxCString {
		return "", false
	}
	return C.GoStringN(p, C.int(n)), true
}

// goStrings copies n C strings; it fails on a NULL array or element.
func goStrings(arr *C.lg_cstr, n C.size_t, what string) ([]string, C.gossip_status) {
	if n == 0 {
		return nil, statusOK
	}
	if arr == nil || n > maxSeeds {
		return nil, fail(errInvalidArgument, "%s: NULL array or count %d too large", what, uint64(n))
	}
	ptrs := unsafe.Slice((**C.char)(unsafe.Pointer(arr)), int(n))
	out := make([]string, 0, int(n))
	for i, p := range ptrs {
		s, ok := goString((*C.lg_cchar)(unsafe.Pointer(p)))
		if !ok {
			return nil, fail(errInvalidArgument, "%s: element %d is NULL", what, i)
		}
		out = append(out, s)
	}
	return out, statusOK
}

func goMeta(keys, values *C.lg_cstr, n C.size_t) (map[string]string, C.gossip_status) {
	if n > maxMetaPairs {
		return nil, fail(errInvalidArgument, "metadata: %d pairs, limit %d", uint64(n), maxMetaPairs)
	}
	ks, st := goStrings(keys, n, "metadata keys")
	if st != statusOK {
		return nil, st
	}
	vs, st := goStrings(values, n, "metadata values")
	if st != statusOK {
		return nil, st
	}
	m := make(map[string]string, len(ks))
	for i, k := range ks {
		m[k] = vs[i]
	}
	return m, statusOK
}

func goBytes(data *C.lg_cbyte, n C.size_t) ([]byte, C.gossip_status) {
	if n == 0 {
		return []byte{}, statusOK
	}
	if data == nil {
		return nil, fail(errInvalidArgument, "data is NULL with length %d", uint64(n))
	}
	if n > maxBytesFromC {
		return nil, fail(errInvalidArgument, "data length %d over limit %d", uint64(n), maxBytesFromC)
	}
	return C.GoBytes(unsafe.Pointer(data), C.int(n)), statusOK
}

func goTime(ms C.int64_t) time.Time {
	if ms < 0 {
		return time.Now()
	}
	return time.UnixMilli(int64(ms))
}

func goTimeout(ms C.int64_t, def time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	return time.Duration(ms) * time.Millisecond
}

// goConfig builds a core.Config from cfg (nil means LAN defaults).
func goConfig(cfg *C.lg_cconfig) (core.Config, C.gossip_status) {
	c := core.LANConfig()
	if cfg == nil {
		return c, statusOK
	}
	preset := ""
	if cfg.preset != nil {
		preset, _ = goString((*C.lg_cchar)(unsafe.Pointer(cfg.preset)))
	}
	switch strings.ToLower(preset) {
	case "", "lan":
	case "wan":
		c = core.WANConfig()
	case "local":
		c = core.LocalConfig()
	default:
		return c, fail(errInvalidArgument, "config: unknown preset %q (want lan, wan or local)", preset)
	}
	set := func(d *time.Duration, ms C.int64_t, name string) C.gossip_status {
		if ms < 0 {
			return fail(errInvalidArgument, "config: %s is negative", name)
		}
		if ms > 0 {
			*d = time.Duration(ms) * time.Millisecond
		}
		return statusOK
	}
	if st := set(&c.ProbeInterval, cfg.probe_interval_ms, "probe_interval_ms"); st != statusOK {
		return c, st
	}
	if st := set(&c.ProbeTimeout, cfg.probe_timeout_ms, "probe_timeout_ms"); st != statusOK {
		return c, st
	}
	if st := set(&c.GossipInterval, cfg.gossip_interval_ms, "gossip_interval_ms"); st != statusOK {
		return c, st
	}
	if cfg.suspicion_mult < 0 {
		return c, fail(errInvalidArgument, "config: suspicion_mult is negative")
	}
	if cfg.suspicion_mult > 0 {
		c.SuspicionMult = int(cfg.suspicion_mult)
	}
	if cfg.seed != 0 {
		c.Rand = rand.NewPCG(uint64(cfg.seed), uint64(cfg.seed)^0x9e3779b97f4a7c15)
	}
	return c, statusOK
}

// cViews copies views into a malloc'd array of new view handles.
func cViews(vs []core.NodeView, out **C.gossip_view_t, n *C.size_t) {
	if len(vs) == 0 {
		*out, *n = nil, 0
		return
	}
	arr := (*C.gossip_view_t)(C.malloc(C.size_t(len(vs)) * C.size_t(unsafe.Sizeof(C.gossip_view_t(0)))))
	s := unsafe.Slice(arr, len(vs))
	for i, v := range vs {
		s[i] = C.gossip_view_t(handles.add(&viewObj{v: cloneView(v)}))
	}
	*out, *n = arr, C.size_t(len(vs))
}

func cloneView(v core.NodeView) core.NodeView {
	v.Meta = maps.Clone(v.Meta)
	if v.Meta == nil {
		v.Meta = map[string]string{}
	}
	return v
}

// deliverEvent calls fn with a C copy of e. node is the node handle for
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

// ---- node views ---------------------------------------------------------------

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

// ---- the protocol core --------------------------------------------------------

// coreObj is a core.Core behind a lock. Output is drained under the lock
// and delivered to the callbacks after it is released.
type coreObj struct {
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
		if send == nil {
			break
		}
		to := C.CString(m.To)
		data := C.CBytes(m.Data)
		rel := C.int(0)
		if m.Reliable {
			rel = 1
		}
		C.lg_call_send(send, user, to, (*C.uint8_t)(data), C.size_t(len(m.Data)), rel)
		C.free(data)
		C.free(unsafe.Pointer(to))
	}
	for _, e := range rd.Events {
		deliverEvent(onEvent, user, e, 0)
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
	*out = C.gossip_core_t(handles.add(&coreObj{c: cc, send: send, onEvent: onEvent, user: C.uintptr_t(uintptr(user))}))
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

// ---- the networked node ---------------------------------------------------------

// nodeObj is a gossip.Node with its event dispatcher: one goroutine that
// reads a subscription and calls the C callback.
type nodeObj struct {
	h    uint64
	n    *gossip.Node
	sub  *gossip.Subscription
	done chan struct{} // closed when the dispatcher exits

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

func (o *nodeObj) dispatch() {
	defer close(o.done)
	for e := range o.sub.C {
		o.mu.Lock()
		cb, user := o.cb, o.user
		o.mu.Unlock()
		deliverEvent(cb, user, e, o.h)
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
	o := &nodeObj{n: n, sub: n.Subscribe(nodeEventBuffer), done: make(chan struct{})}
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
	if o.started {
		return fail(errState, "gossip_node_start: node already started")
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

// stop shuts the node down and waits for the dispatcher.
func (o *nodeObj) stop(timeout time.Duration) C.gossip_status {
	if uint64(C.lg_in_callback()) == o.h {
		return fail(errState, "cannot stop or destroy node %d from its own event callback", o.h)
	}
	o.mu.Lock()
	if o.stopped {
		o.mu.Unlock()
		return statusOK
	}
	o.stopped = true
	started := o.started
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := o.n.Shutdown(ctx)
	o.sub.Close()
	if started {
		select {
		case <-o.done:
		case <-ctx.Done():
			return fail(errTimeout, "gossip_node_stop: event callback still running after %v", timeout)
		}
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
	if st := o.stop(defaultStopTimeout); st != statusOK && st != errInternal {
		return st
	}
	handles.remove(uint64(h))
	return statusOK
}

//export gossip_version
func gossip_version() *C.lg_cchar { return cVersion }
