// Conversions between C arguments and Go values: strings, arrays,
// metadata, bytes, times and the gossip_config struct.

package main

/*
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"maps"
	"math/rand/v2"
	"strings"
	"time"
	"unsafe"

	"github.com/libgossip/libgossip/gossip/core"
)

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
