// Package job is the pure core of libgossip-job, a distributed scheduler
// that starts every scheduled run exactly once: job specs, the run ledger
// kept in the raft FSM, the reconciliation rules a leader applies, and the
// fencing an executor applies. Nothing here reads a clock or does I/O;
// time is an argument, so every rule is tested in virtual time.
//
// # What "exactly once" means
//
// Each scheduled run has a deterministic id, (job, scheduled time). The
// leader records a run in the ledger (OpDispatch) before sending it; the
// raft index of that record is the run's fencing token. The executor asks
// the leader to record the start (OpStart, carrying the token) and begins
// the action only once that start is committed. The ledger accepts one start
// per token, and any later dispatch of the run gets a new token, which fences
// the older one. Hence:
//
//   - A run is started at most once per attempt, on one member. A new attempt
//     exists only after the previous one failed (the action reported an
//     error: the retry policy applies), or when the previous one's outcome
//     is unknown (its executor died mid-run) and the job says it is
//     Idempotent. A non-idempotent run whose executor died mid-run is
//     recorded Lost and never started again: its side effect may have
//     happened half way, and only the job's author can say whether a repeat
//     is safe.
//   - Every scheduled time gets exactly one ledger entry: a run that started
//     (and then succeeded, failed or was lost), or one skipped with a reason
//     (catch-up or concurrency policy). Nothing is dropped silently.
//   - A run starts late, not never, while no leader exists, as long as the
//     outage is shorter than the job's Deadline; after that the CatchUp
//     policy decides, and the decision is recorded. docs/job.md gives the
//     failover window (how late, for which runs) and its measure.
//
// A failure is what the action reports (exit status, HTTP error) or its
// job's Timeout killing it; an unknown outcome is an executor that died, was
// shut down mid-run or no longer knows the run.
//
// "Exactly once" therefore means exactly one committed start per scheduled
// run and attempt. It does not mean the side effect happened exactly once:
// an action that crashes midway has run partly, and is repeated only for an
// idempotent job.
package job
