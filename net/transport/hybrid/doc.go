// Package hybrid is the default gossip.Transport: UDP packets and TCP
// streams on the same port, as SWIM deployments expect.
//
// Start binds UDP first, then TCP on the port UDP got (when the bind port is
// 0 and that port is taken for TCP, it retries with a new one). Packets go
// over the udp transport, streams over the tcp transport configured for
// streams only; both share one set of counters.
package hybrid
