// Package limit wraps any gossip.Transport with packet rate limits built on
// golang.org/x/time/rate: one outbound budget for the whole node, and one
// inbound budget per source address, so one flooding peer cannot starve the
// protocol of the others' packets.
//
// An outbound packet over budget is not sent: WritePacket returns
// ErrRateLimited. An inbound packet over its source's budget is dropped.
// Both count as stats.RateLimit. Streams pass through unchanged. The wrapper
// remembers at most MaxSources sources, forgetting the least recently seen.
//
// Place it below the security wrapper (limit.Wrap(socket), then
// security.Wrap(limited)) so floods are dropped before any decryption.
//
// Goroutines: one forwarding packets, started by Start and stopped by Close.
package limit
