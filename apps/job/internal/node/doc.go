// Package node runs a libgossip-job member: a cluster/raft server whose FSM
// is the run ledger (package job), a scheduler active while the member
// leads, an executor for the runs dispatched to it, and the HTTP API.
//
// # Protocol
//
// Every tick (WithTick) the leader runs job.Reconcile over its ledger, the
// live members from gossip and its clock, and applies the actions. To
// dispatch a run it picks an executor among live members carrying the job's
// tags (least loaded by active runs in the ledger, utils/balance
// LeastLoaded, ties spread by run id), records the dispatch through raft —
// the entry's index is the run's fencing token — and only then sends it
// (POST /v1/internal/dispatch). The executor admits the dispatch unless it
// has seen a newer token for that run (job.Fence), asks the leader to record
// the start (POST /v1/internal/report, op start), and runs the action only
// once the start is committed. It reports the finish the same way, retrying
// until the leader answers. The leader asks an executor about a run that
// overran its timeout (POST /v1/internal/query) and settles it with
// job.Resolve; while the executor is still reporting the start it answers
// "starting" (the leader waits), and "not started" only once it gave up,
// after which it never begins the action.
//
// A new leader waits for raft's Barrier, then reconciles at once: runs sent
// to a dead member before they started are sent again with a new token;
// runs that started on a dead member are retried if the job is idempotent
// and recorded lost otherwise; missed scheduled times follow the job's
// catch-up policy.
//
// # API
//
//	GET    /v1/jobs                list jobs (JobInfo)
//	GET    /v1/jobs/{name}         one job
//	PUT    /v1/jobs/{name}         add or update (job.Spec as JSON)
//	DELETE /v1/jobs/{name}         delete the job and its history
//	POST   /v1/jobs/{name}/run     run now (a manual run at the leader's now)
//	GET    /v1/jobs/{name}/runs    history: job.Run with executor, status,
//	                               times, output tail
//	GET    /v1/leader              the leader's id and API address
//
// Reads are served from the member's own ledger (a follower may lag by a
// few milliseconds). Writes on a follower are redirected (307) to the
// leader. Errors are JSON {"error": "..."}: 400 invalid, 404 not found,
// 409 fenced or wrong state, 413 body too large, 421 not the leader,
// 503 outcome unknown (retry).
//
// # Security
//
// The API is not authenticated: like the raft port, expose it only to the
// cluster's private network. Each listener bounds what one client costs:
// at most WithMaxConns connections at once, bodies of at most
// DefaultMaxBody bytes, header, read, write and idle timeouts, and at most
// WithMaxRuns runs executing at once (more dispatches are refused and sent
// again later).
package node
