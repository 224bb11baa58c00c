// Package balance picks a member to send work to, from members that report
// their load.
//
// Three policies are offered over a slice of [Member] values, which can come
// from anywhere (the cluster layer fills them from gossiped metadata):
//
//   - [Balancer.PowerOfTwo]: the power of two choices (Mitzenmacher; Azar,
//     Broder, Karlin and Upfal): sample two distinct members at random and
//     take the less loaded. O(1) per pick; with stale load reports it avoids
//     the herding onto one member that least-loaded suffers from, and it
//     brings the maximum load down from O(log n / log log n) above average
//     (random) to O(log log n).
//   - [Balancer.WeightedRandom]: a member chosen with probability
//     proportional to its weight. O(n) per pick.
//   - [LeastLoaded]: the member with the least load per unit of weight, ties
//     to the first in slice order. O(n) per pick, deterministic.
//
// Load is compared per unit of weight (Load/Weight), so a member of weight 2
// is as busy at load 10 as a member of weight 1 at load 5. A zero Weight means
// 1. The randomness is injected (a math/rand/v2 Source), so tests and
// simulations are deterministic.
package balance
