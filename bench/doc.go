// Package bench runs the same membership scenarios against libgossip and
// hashicorp/memberlist and summarizes them.
//
// The pieces:
//   - Impl and Node (adapter.go): the small interface an implementation
//     satisfies to be benchmarked. LibGossip and Memberlist are the two
//     adapters; a third implementation needs only these two types.
//   - package fault: one fault injector behind both implementations'
//     transports (loss, delay and jitter, inbound loss, crash), which also
//     counts packets and bytes sent.
//   - Run (scenario.go): one cluster's life on 127.0.0.1 with real sockets —
//     converge, steady, meta, detect, falsepos, leave — and RunFlipFlop for
//     the asymmetric fault; both return per-run figures.
//   - Plan and Report (plan.go, report.go): the default set, repeated runs
//     alternating between implementations, medians with min and max, the
//     Pareto SVG and BENCHMARKS.md.
//   - RunLoss (loss.go): heavy loss — packet loss, stream dial failures
//     (DialFaults, dialfault.go), latency, a sick member — held for 30–60s
//     on a formed cluster, then lifted: false failures, distinct members
//     falsely failed, refutations and the time until views heal.
//     LossPlan (lossplan.go) is the matrix of `make bench-loss`;
//     LossStore (lossstore.go) keeps every case's latest results
//     (bench/loss-results.json), so that the matrix can be run in parts,
//     and lossreport.go writes from it its own section of BENCHMARKS.md
//     between the LossBegin and LossEnd markers, which `make bench`
//     keeps, and frontier.go the frontier plot. RunCost (losscost.go)
//     measures what a setting costs in a quiet cluster, the frontier's
//     third axis; frontierreport.go says which settings are on each
//     library's frontier.
//   - Scale (scale.go): the deterministic simulator at 100 to 10,000
//     members, next to the epidemic bound.
//
// Nothing here asserts timing; the tests run every scenario small and short
// so that the harness keeps working.
package bench
