// Package sim runs many gossip cores on a simulated network in virtual
// time, deterministically: latency and jitter, uniform and per-link loss,
// asymmetric faults (members that cannot hear, or are slow), partitions and
// heals, crashes and restarts, all drawn from one seed. The same seed and the
// same calls always produce the same event log.
//
// Streams (reliable messages) are never lost while the two members can
// reach each other; each lost segment delays them by StreamRTO, as TCP's
// retransmission would.
//
// RunScenario runs the named scenarios that the gossipsim command and the
// benchmarks report (converge, detect, falsepos, meta, partition, churn).
// A Sim is not safe for concurrent use.
package sim
