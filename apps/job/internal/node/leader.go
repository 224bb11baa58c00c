package node

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/utils/balance"
)

// loop runs the scheduler while this member leads.
func (n *Node) loop(srv *raft.Server, stop <-chan struct{}) {
	defer n.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-stop; cancel() }()
	t := time.NewTicker(n.o.tick)
	defer t.Stop()
	leading := false
	for {
		select {
		case <-stop:
			return
		case l, ok := <-srv.LeaderCh():
			if !ok {
				return
			}
			leading = false
			if l {
				// A new leader first makes sure its ledger has every
				// committed entry, then reconciles at once.
				bctx, bcancel := context.WithTimeout(ctx, 10*n.o.callTimeout)
				err := srv.Barrier(bctx)
				bcancel()
				if err != nil {
					n.o.onErr(fmt.Errorf("node: barrier on election: %w", err))
					continue
				}
				leading = true
				n.o.log.Info("job scheduler leading")
				n.tick(ctx, srv)
			}
		case <-t.C:
			if leading && srv.IsLeader() {
				n.tick(ctx, srv)
			}
		}
	}
}

// member is a live job member.
type member struct {
	id   string
	api  string
	meta map[string]string
}

func (n *Node) liveMembers() []member {
	var out []member
	for _, m := range n.g.LiveMembers() {
		if api := m.Meta[TagAPI]; api != "" {
			out = append(out, member{id: m.ID, api: api, meta: m.Meta})
		}
	}
	slices.SortFunc(out, func(a, b member) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	return out
}

// tick applies Reconcile's actions.
func (n *Node) tick(ctx context.Context, srv *raft.Server) {
	now := n.o.now()
	members := n.liveMembers()
	live := map[string]bool{}
	for _, m := range members {
		live[m.id] = true
	}
	var actions []job.Action
	specs := map[string]job.Spec{}
	runs := map[string]job.Run{}
	load := map[string]float64{}
	var running []job.Run
	n.fsm.View(func(l *job.Ledger) {
		actions = job.Reconcile(l, live, now, job.Timing{DispatchTimeout: n.o.dispatchTimeout, QueryGrace: n.o.queryGrace})
		for name, js := range l.Jobs {
			specs[name] = js.Spec
			for _, r := range l.Active(name) {
				load[r.Executor]++
				if r.Status == job.Running {
					running = append(running, *r)
				}
			}
		}
		for _, a := range actions {
			if a.Kind == job.ActQuery {
				runs[job.RunID(a.Job, a.At)] = *l.Runs[job.RunID(a.Job, a.At)]
			}
		}
	})
	n.queryRebooted(srv, members, specs, running)
	// Jobs proceed in parallel (raft batches concurrent commands); the
	// actions of one job stay in order.
	byJob := map[string][]job.Action{}
	var order []string
	for _, a := range actions {
		if byJob[a.Job] == nil {
			order = append(order, a.Job)
		}
		byJob[a.Job] = append(byJob[a.Job], a)
	}
	var (
		wg     sync.WaitGroup
		loadMu sync.Mutex
	)
	for _, name := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, a := range byJob[name] {
				if ctx.Err() != nil || !n.act(ctx, srv, a, specs[name], runs, members, load, &loadMu) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// act applies one action; it reports false when this member cannot go on
// leading (the job's remaining actions wait for the next tick).
func (n *Node) act(ctx context.Context, srv *raft.Server, a job.Action, s job.Spec, runs map[string]job.Run, members []member, load map[string]float64, loadMu *sync.Mutex) bool {
	var err error
	switch a.Kind {
	case job.ActDispatch:
		c := job.Command{Op: job.OpDispatch, Job: a.Job, At: a.At, Attempt: a.Attempt, Reason: a.Reason}
		_, err = n.dispatchLocked(ctx, srv, s, c, members, load, loadMu)
		if errors.Is(err, ErrNoExecutor) {
			return true // wait: the deadline and catch-up policy decide later
		}
	case job.ActSkip:
		_, err = n.apply(ctx, srv, job.Command{Op: job.OpSkip, Job: a.Job, At: a.At, Reason: a.Reason})
	case job.ActLost:
		_, err = n.apply(ctx, srv, job.Command{Op: job.OpLost, Job: a.Job, At: a.At, Token: a.Token, Reason: a.Reason})
	case job.ActQuery:
		n.query(srv, s, runs[job.RunID(a.Job, a.At)])
	}
	if err != nil {
		n.o.onErr(err)
		var nl *raft.NotLeaderError
		if errors.As(err, &nl) || errors.Is(err, raft.ErrNotRunning) || errors.Is(err, raft.ErrLeadershipLost) {
			return false
		}
	}
	return true
}

// apply proposes c through raft with the leader's clock and returns the
// run it changed; a command the ledger refused gives its error.
func (n *Node) apply(ctx context.Context, srv *raft.Server, c job.Command) (*job.Run, error) {
	if c.Now.IsZero() {
		c.Now = n.o.now()
	}
	b, err := job.Encode(c)
	if err != nil {
		return nil, fmt.Errorf("node: encode: %w", err)
	}
	actx, cancel := context.WithTimeout(ctx, 10*n.o.callTimeout)
	defer cancel()
	res, err := srv.Apply(actx, b)
	if err != nil {
		return nil, err
	}
	ap, _ := res.Response.(job.Applied)
	return ap.Run, ap.Err
}

// pick chooses the executor for a run: the live members whose metadata
// carries every tag of the job, the least loaded by active runs in the
// ledger (utils/balance.LeastLoaded), ties broken from a starting point
// derived from the run id so equal members share the work.
func pick(s job.Spec, runID string, members []member, load map[string]float64) (member, error) {
	var cand []member
	for _, m := range members {
		ok := true
		for k, v := range s.Tags {
			if m.meta[k] != v {
				ok = false
				break
			}
		}
		if ok {
			cand = append(cand, m)
		}
	}
	if len(cand) == 0 {
		return member{}, fmt.Errorf("%w: %s", ErrNoExecutor, s.Name)
	}
	h := fnv.New32a()
	h.Write([]byte(runID))
	off := int(h.Sum32() % uint32(len(cand)))
	bm := make([]balance.Member, 0, len(cand))
	byID := map[string]member{}
	for i := range cand {
		m := cand[(off+i)%len(cand)]
		bm = append(bm, balance.Member{ID: m.id, Load: load[m.id]})
		byID[m.id] = m
	}
	best, err := balance.LeastLoaded(bm)
	if err != nil {
		return member{}, fmt.Errorf("node: pick: %w", err)
	}
	return byID[best.ID], nil
}

// dispatch records a run (attempt) with an executor, then sends it. The
// record comes first: its raft index is the run's fencing token.
func (n *Node) dispatch(ctx context.Context, srv *raft.Server, s job.Spec, c job.Command, members []member, load map[string]float64) (*job.Run, error) {
	var mu sync.Mutex
	return n.dispatchLocked(ctx, srv, s, c, members, load, &mu)
}

// dispatchLocked is dispatch with load shared under mu.
func (n *Node) dispatchLocked(ctx context.Context, srv *raft.Server, s job.Spec, c job.Command, members []member, load map[string]float64, mu *sync.Mutex) (*job.Run, error) {
	return n.dispatchTry(ctx, srv, s, c, members, load, mu, 0)
}

// dispatchTry is dispatchLocked for the tries-th immediate re-dispatch of
// a run whose executors refused it (0: a first dispatch). A nil mu means
// load is not shared. Members that refused a connection lately are not
// picked.
func (n *Node) dispatchTry(ctx context.Context, srv *raft.Server, s job.Spec, c job.Command, members []member, load map[string]float64, mu *sync.Mutex, tries int) (*job.Run, error) {
	if mu == nil {
		mu = &sync.Mutex{}
	}
	mu.Lock()
	m, err := pick(s, job.RunID(c.Job, c.At), n.reachable(members), load)
	if err == nil {
		load[m.id]++ // counted now, so parallel picks spread
	}
	mu.Unlock()
	if err != nil {
		return nil, err
	}
	c.Executor = m.id
	r, err := n.apply(ctx, srv, c)
	if err != nil {
		return nil, err
	}
	if r.Status != job.Dispatched {
		return r, nil // skipped by the concurrency policy
	}
	n.send(ctx, srv, m.api, s, *r, tries)
	return r, nil
}

// send delivers a recorded dispatch in the background. If nothing listens
// at the executor's API the run is dispatched again to another member at
// once; if it fails otherwise (the executor may have it), the run stays
// dispatched and Reconcile sends it again after the dispatch timeout,
// with a new token.
func (n *Node) send(ctx context.Context, srv *raft.Server, api string, s job.Spec, r job.Run, tries int) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		req := dispatchReq{Spec: s, Run: r, Leader: n.Addr()}
		err := n.call(api, "/v1/internal/dispatch", req, nil)
		if err == nil {
			return
		}
		n.o.onErr(fmt.Errorf("node: dispatch %s to %s: %w", r.ID(), r.Executor, err))
		if refusedConn(err) {
			n.redispatchRefused(ctx, srv, s, r, tries)
		}
	}()
}

// query asks a run's executor what became of it and settles the run.
func (n *Node) query(srv *raft.Server, s job.Spec, r job.Run) {
	id := r.ID()
	n.mu.Lock()
	if n.queries[id] || !n.running {
		n.mu.Unlock()
		return
	}
	n.queries[id] = true
	stop := n.stop
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer func() { n.mu.Lock(); delete(n.queries, id); n.mu.Unlock() }()
		var ans job.Answer
		api := n.apiOf(r.Executor)
		if api == "" {
			return // gone: Reconcile treats it as dead on the next tick
		}
		if err := n.call(api, "/v1/internal/query", queryReq{Run: id}, &ans); err != nil {
			n.o.onErr(fmt.Errorf("node: query %s on %s: %w", id, r.Executor, err))
			return
		}
		c, ok := job.Resolve(s, r, ans, n.o.now())
		if !ok {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if c.Op == job.OpDispatch {
			// Resolve re-dispatches to the same executor only if it is the
			// one picked; pick again among live members.
			load := map[string]float64{}
			_, err := n.dispatch(ctx, srv, s, c, n.liveMembers(), load)
			if err != nil {
				n.o.onErr(err)
			}
			return
		}
		if _, err := n.apply(ctx, srv, c); err != nil {
			n.o.onErr(err)
		}
	}()
}
