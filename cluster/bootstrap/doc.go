// Package bootstrap joins a member to its cluster and keeps the cluster
// whole.
//
// # Seeds
//
// Seeds are "host:port", "dns+name:port" (every A and AAAA record of name)
// or "dnssrv+_service._proto.name" (every SRV target). They are resolved
// again on every attempt, through a Resolver the caller may replace, so a
// seed that restarted with a new address is followed. Failed attempts back
// off exponentially with jitter (Backoff), until a join succeeds, another
// member finds this one, or Shutdown.
//
// # Snapshot
//
// With WithSnapshot, every member this one sees alive or failed is
// appended to a file (a member that left is recorded as gone); appends
// are fsync'd at most WithSyncInterval after the change, and the file is
// compacted (rewritten beside, fsync'd, renamed) when it holds more than
// twice the records it needs. After a total outage a member restarts with
// no seed: it tries every address in its snapshot. Any address that now
// belongs to some member of the cluster will do, even if it is not the
// member that had it before.
//
// # Rejoin
//
// Every rejoin interval (WithRejoin, default 30s, less up to a quarter at
// random), the member joins up to Fanout known peers that are absent from
// its live membership. A long partition, after which each side has
// declared the other failed, therefore does not end in two clusters even
// when the gossip layer's own reconnect exchanges are off or have given
// up. The policy is the pure machine Rejoin (no clock, no I/O), tested in
// a seeded simulation over gossip cores. The driver relies on
// gossip.Node.Join delivering its full-state exchanges on a member that
// has already joined; the runtime's Join currently returns at once in
// that case and may cut them short, so a round can miss and the next
// one tries again.
//
// # Readiness
//
// Joined is closed once the first join succeeded (or there was nothing to
// join: no seeds, no known peers, the first member). Ready additionally
// waits for WithExpect(n) live members.
//
// The driver loop: one goroutine makes the initial join attempts; another
// records membership events in the rejoin machine and the snapshot, syncs
// the snapshot, and runs the rejoin rounds.
package bootstrap
