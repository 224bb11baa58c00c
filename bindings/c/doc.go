// Command c is the libgossip C API, built with
//
//	go build -buildmode=c-shared -o libgossip.so .
//	go build -buildmode=c-archive -o libgossip.a .
//
// and used through the hand-written header include/libgossip.h, which
// documents every function, the ownership of every pointer, the error
// model (status codes plus a thread-local gossip_last_error) and thread
// safety. Objects are integer handles into a registry (handles.go), so C
// never holds a Go pointer. build.sh builds and installs both libraries and
// the header; test-extra.sh runs the C and Python tests.
//
// The files, one per concern:
//
//	capi.go     the version and the handle registry's instance
//	errors.go   status codes, gossip_last_error, panic recovery
//	convert.go  C arguments to Go values (strings, metadata, config)
//	events.go   event and packet delivery to C callbacks
//	gate.go     the per-handle gate that stop and destroy shut and wait on
//	view.go     gossip_view_*
//	core.go     gossip_core_* (bring your own transport)
//	node.go     gossip_node_* (the networked member)
//	lgossip.c   the C half: thread-local error, trampolines, free functions
package main
