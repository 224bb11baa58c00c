package main

/*
#cgo CFLAGS: -std=gnu11 -Wall
#include <stdlib.h>
#include <string.h>
#include "lgossip_internal.h"
*/
import "C"

import (
	"unsafe"
)

// Version is the library version reported by gossip_version.
const Version = "0.2.0"

// handles is the one registry of every object given to C. A C API needs
// process-wide state: C holds plain integers and every entry point must find
// the object behind one.
var handles = newRegistry()

var cVersion = (*C.lg_cchar)(unsafe.Pointer(C.CString(Version))) // static for the process; never freed

func main() {} // required by -buildmode=c-shared and c-archive

//export gossip_version
func gossip_version() *C.lg_cchar { return cVersion }
