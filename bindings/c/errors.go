// Status codes and the error model: every export returns a status and
// records its message in the calling thread's gossip_last_error.

package main

/*
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/core"
)

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
