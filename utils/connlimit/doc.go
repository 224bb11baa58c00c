// Package connlimit caps how many connections a server holds open at once.
//
// [New] wraps a [net.Listener]. Its Accept takes a slot before it accepts,
// and a connection gives its slot back when it is first closed. While every
// slot is taken, Accept waits, so excess clients queue in the kernel's
// accept backlog instead of costing the server a goroutine and buffers
// each. Closing the listener wakes a waiting Accept with [net.ErrClosed].
//
// A typical use is an HTTP API that must survive a flood of idle clients:
//
//	ln, err := net.Listen("tcp", addr)
//	...
//	lim, err := connlimit.New(ln, 64)
//	...
//	srv.Serve(lim)
//
// The listener is safe for concurrent use, as are the connections it
// returns.
package connlimit
