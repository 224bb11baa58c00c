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
package main
