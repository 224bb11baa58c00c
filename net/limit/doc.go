// Package limit wraps any gossip.Transport with packet rate limits: one
// outbound budget for the whole node (golang.org/x/time/rate), and one
// inbound budget per source address (utils/ratelimit.Keyed), so one flooding
// peer cannot starve the protocol of the others' packets.
//
// An outbound packet over budget is not sent: WritePacket returns
// ErrRateLimited. An inbound packet over its source's budget is dropped.
// Both count as stats.RateLimit. Streams pass through unchanged. The wrapper
// remembers at most MaxSources sources, forgetting the least recently seen.
//
// Place it below the security wrapper (gossip.Chain(socket, security,
// limit): security outermost) so floods are dropped before any decryption:
// the inner wrapper's Handler sees each packet first.
//
// Goroutines: none of its own; packets are checked on the inner transport's
// receive goroutine.
package limit
