package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
)

// executor runs the dispatches sent to this member.
type executor struct {
	n      *Node
	mu     sync.Mutex
	fence  *job.Fence
	runs   map[string]*execRun // by run id, bounded like the fence
	order  []string
	active int
	ctx    context.Context
	cancel context.CancelFunc
	closed bool
	client *http.Client // for HTTP actions: no timeout but the job's
}

type execRun struct {
	token uint64
	ans   job.Answer
}

func newExecutor(n *Node) *executor {
	ctx, cancel := context.WithCancel(context.Background())
	return &executor{n: n, fence: job.NewFence(DefaultFenceSize), runs: map[string]*execRun{}, ctx: ctx, cancel: cancel,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}}}
}

func (e *executor) shutdown() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
}

// idle closes the action client's idle connections, after the runs ended.
func (e *executor) idle() { e.client.CloseIdleConnections() }

// errRefused means a dispatch was refused (fenced, full or closing).
var errRefused = errors.New("node: dispatch refused")

// accept admits a dispatch and runs it in the background.
func (e *executor) accept(req dispatchReq) error {
	id := req.Run.ID()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return fmt.Errorf("%w: shutting down", errRefused)
	}
	if e.active >= e.n.o.maxRuns {
		return fmt.Errorf("%w: %d runs active", errRefused, e.active)
	}
	if prev := e.runs[id]; prev != nil && prev.token == req.Run.Token {
		return nil // the same dispatch again
	}
	if !e.fence.Admit(id, req.Run.Token) {
		return fmt.Errorf("%w: token %d for %s is older than one seen (%d)", job.ErrFenced, req.Run.Token, id, e.fence.Seen(id))
	}
	if _, ok := e.runs[id]; !ok {
		e.order = append(e.order, id)
		for len(e.order) > DefaultFenceSize {
			delete(e.runs, e.order[0])
			e.order = e.order[1:]
		}
	}
	er := &execRun{token: req.Run.Token, ans: job.Answer{Phase: job.PhaseStarting, Token: req.Run.Token}}
	e.runs[id] = er
	e.active++
	e.n.wg.Add(1)
	go e.run(req, er)
	return nil
}

// answer reports what this member knows of a run.
func (e *executor) answer(id string) job.Answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.runs[id]; r != nil {
		return r.ans
	}
	return job.Answer{Phase: job.PhaseUnknown}
}

func (e *executor) set(er *execRun, a job.Answer) {
	e.mu.Lock()
	er.ans = a
	e.mu.Unlock()
}

// run starts the run through the leader, performs it, and reports it.
func (e *executor) run(req dispatchReq, er *execRun) {
	defer e.n.wg.Done()
	defer func() { e.mu.Lock(); e.active--; e.mu.Unlock() }()
	r, self := req.Run, e.n.ID()
	c := job.Command{Op: job.OpStart, Job: r.Job, At: r.At, Token: r.Token, Executor: self, Boot: e.n.boot}
	// The action begins only once the start is committed. Until the report
	// settles, a query gets "starting" (the leader waits); an unconfirmed
	// start leaves the run "not started" for good, which the leader may
	// verify and send again: nothing begins here after that answer.
	deadline := time.Now().Add(e.n.o.dispatchTimeout / 2)
	if !e.report(c, req.Leader, deadline) {
		e.set(er, job.Answer{Phase: job.PhaseNotStarted, Token: r.Token})
		return
	}
	e.set(er, job.Answer{Phase: job.PhaseRunning, Token: r.Token})
	out, err := e.perform(req.Spec, r)
	if e.ctx.Err() != nil {
		// Interrupted by this member's shutdown: the outcome is unknown, not
		// a failure, so it is not reported. The leader finds the executor
		// gone (or not knowing the run) and applies the unknown-outcome rule.
		return
	}
	a := job.Answer{Phase: job.PhaseDone, Token: r.Token, OK: err == nil, Output: job.Tail(out)}
	if err != nil {
		a.Error = job.Tail(err.Error())
	}
	e.set(er, a)
	c = job.Command{Op: job.OpFinish, Job: r.Job, At: r.At, Token: r.Token, Executor: self, OK: a.OK, Output: a.Output, Error: a.Error}
	e.report(c, "", time.Time{})
}

// report sends a start or finish to the leader until it is settled
// (committed or refused), the deadline passes (zero: none) or the member
// shuts down. It returns true only when the command was committed.
func (e *executor) report(c job.Command, first string, deadline time.Time) bool {
	wait := 50 * time.Millisecond
	api := first
	for {
		if api == "" {
			api = e.n.leaderAPI()
		}
		if api != "" {
			st, err := e.n.callStatus(api, "/v1/internal/report", c, nil)
			switch {
			case err == nil && st == http.StatusOK:
				return true
			case err == nil && st == http.StatusConflict:
				return false // fenced or wrong state: settled, not ours
			}
		}
		api = ""
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-e.ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// perform runs the job's action with its timeout.
func (e *executor) perform(s job.Spec, r job.Run) (string, error) {
	ctx, cancel := context.WithTimeout(e.ctx, s.Timeout)
	defer cancel()
	vars := [][3]string{ // environment variable, HTTP header, value
		{"JOB_NAME", "X-Job-Name", r.Job},
		{"JOB_SCHEDULED", "X-Job-Scheduled", r.At.UTC().Format(time.RFC3339Nano)},
		{"JOB_RUN_ID", "X-Job-Run-Id", r.ID()},
		{"JOB_ATTEMPT", "X-Job-Attempt", strconv.Itoa(r.Attempt)},
		{"JOB_TOKEN", "X-Job-Token", strconv.FormatUint(r.Token, 10)},
		{"JOB_NODE", "X-Job-Node", e.n.ID()},
	}
	if s.HTTP != nil {
		req, err := http.NewRequestWithContext(ctx, s.HTTP.Method, s.HTTP.URL, strings.NewReader(s.HTTP.Body))
		if err != nil {
			return "", err
		}
		for _, v := range vars {
			req.Header.Set(v[1], v[2])
		}
		resp, err := e.client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, job.MaxOutput))
		if resp.StatusCode/100 != 2 {
			return string(body), fmt.Errorf("http status %d", resp.StatusCode)
		}
		return string(body), nil
	}
	cmd := exec.CommandContext(ctx, s.Command[0], s.Command[1:]...)
	cmd.Env = append(os.Environ(), s.Env...)
	for _, v := range vars {
		cmd.Env = append(cmd.Env, v[0]+"="+v[2])
	}
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	return out.String(), err
}

// tailBuffer keeps the last job.MaxOutput bytes written.
type tailBuffer struct{ b bytes.Buffer }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b.Write(p)
	if t.b.Len() > 2*job.MaxOutput {
		keep := append([]byte(nil), t.b.Bytes()[t.b.Len()-job.MaxOutput:]...)
		t.b.Reset()
		t.b.Write(keep)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return job.Tail(t.b.String()) }
