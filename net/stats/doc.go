// Package stats holds the traffic counters shared by libgossip's network
// transports and wrappers. Counters are plain atomics, readable without any
// metrics SDK: call Snapshot and read the fields, or hand the snapshot to an
// adapter that exports it (the monitoring module does).
//
// One *Counters is usually shared by every layer of a transport stack (the
// socket transport, the security wrapper and the rate limiter), so a single
// Snapshot describes the whole stack. All methods are safe for concurrent
// use and never block.
package stats
