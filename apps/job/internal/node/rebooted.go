package node

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/cluster/raft"
)

// newBoot returns a process identity for TagBoot.
func newBoot() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// queryRebooted asks at once the executor of every running run whose
// member now runs another process than the one that started it (its
// TagBoot differs from the run's Boot). A member killed and restarted
// within gossip's detection time is never declared failed, so without
// this its forgotten runs would stay running — and count as its load, so
// that it is picked for nothing — until the job's timeout plus the query
// grace. The executor answers that it does not know the run, and the
// unknown-outcome rule settles it. Each run is asked once per boot; only
// the scheduler loop calls this.
func (n *Node) queryRebooted(srv *raft.Server, members []member, specs map[string]job.Spec, running []job.Run) {
	boots := make(map[string]string, len(members))
	for _, m := range members {
		boots[m.id] = m.meta[TagBoot]
	}
	seen := make(map[string]bool, len(running))
	for _, r := range running {
		id := r.ID()
		seen[id] = true
		b := boots[r.Executor]
		if b == "" || r.Boot == "" || b == r.Boot || n.booted[id] == b {
			continue
		}
		if n.booted == nil {
			n.booted = map[string]string{}
		}
		n.booted[id] = b
		n.query(srv, specs[r.Job], r)
	}
	for id := range n.booted {
		if !seen[id] {
			delete(n.booted, id)
		}
	}
}
