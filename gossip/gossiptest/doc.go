// Package gossiptest holds test helpers for code built on libgossip: a
// goroutine leak check (VerifyNone, Check); a Handler that collects what a
// Transport delivers (Sink); the transport conformance suite
// (RunTransport) that every Transport and every Middleware must pass; a
// poll with a deadline (WaitFor); and loopback addresses that a restarted
// process can bind again (FixedAddr).
package gossiptest
