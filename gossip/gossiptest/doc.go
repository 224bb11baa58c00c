// Package gossiptest holds test helpers for code built on libgossip: a
// goroutine leak check (VerifyNone, Check), a Handler that collects what a
// Transport delivers (Sink), and the transport conformance suite
// (RunTransport) that every Transport and every Middleware must pass.
package gossiptest
