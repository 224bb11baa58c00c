package node

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/cluster/raft"
)

// refusedHold is how long the leader picks no member whose API refused a
// dispatch's connection. Gossip still counts it live (a process killed and
// restarted on the same ports is back before anyone suspects it), so a
// refused connection is the first sign; after the hold the member may be
// picked again, and a member still down refuses again at once.
const refusedHold = time.Second

// maxRefusedRedispatch bounds the immediate re-dispatches of one run whose
// executors refused it; after that the dispatch timeout takes over.
const maxRefusedRedispatch = 3

// refusedConn reports whether err says nothing listened at the executor's
// API: the dispatch certainly never arrived.
func refusedConn(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// markRefused records that member id refused a connection.
func (n *Node) markRefused(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.refused == nil {
		n.refused = map[string]time.Time{}
	}
	n.refused[id] = n.o.now().Add(refusedHold)
}

// reachable returns members without those that refused a connection
// within refusedHold.
func (n *Node) reachable(members []member) []member {
	now := n.o.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	out := members[:0:0]
	for _, m := range members {
		if until, ok := n.refused[m.id]; ok {
			if now.Before(until) {
				continue
			}
			delete(n.refused, m.id)
		}
		out = append(out, m)
	}
	return out
}

// redispatchRefused dispatches run r again, same attempt, to another
// member right away: its executor refused the connection, so it never
// started. The command names r's token, so it applies only if nothing
// re-dispatched the run meanwhile.
func (n *Node) redispatchRefused(ctx context.Context, srv *raft.Server, s job.Spec, r job.Run, tries int) {
	n.markRefused(r.Executor)
	if tries >= maxRefusedRedispatch || ctx.Err() != nil {
		return
	}
	c := job.Command{Op: job.OpDispatch, Job: r.Job, At: r.At, Attempt: r.Attempt, Token: r.Token,
		Reason: "executor refused the dispatch"}
	none := map[string]float64{}
	if _, err := n.dispatchTry(ctx, srv, s, c, n.liveMembers(), none, nil, tries+1); err != nil &&
		!errors.Is(err, ErrNoExecutor) && !errors.Is(err, job.ErrFenced) {
		n.o.onErr(fmt.Errorf("node: re-dispatch %s after a refused connection: %w", r.ID(), err))
	}
}
