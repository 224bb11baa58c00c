package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/cluster/raft"
)

// dispatchReq is the leader's dispatch of one run to an executor.
type dispatchReq struct {
	Spec   job.Spec `json:"spec"`
	Run    job.Run  `json:"run"`
	Leader string   `json:"leader"` // the dispatching leader's API address
}

// queryReq asks an executor about a run.
type queryReq struct {
	Run string `json:"run"`
}

// JobInfo is a job as the API lists it.
type JobInfo struct {
	Spec   job.Spec  `json:"spec"`
	NextAt time.Time `json:"next_at,omitzero"`
}

// errorBody is every error answer.
type errorBody struct {
	Error  string `json:"error"`
	Leader string `json:"leader,omitempty"`
}

func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/internal/dispatch", n.handleDispatch)
	mux.HandleFunc("POST /v1/internal/query", n.handleQuery)
	mux.HandleFunc("POST /v1/internal/report", n.handleReport)
	mux.HandleFunc("GET /v1/jobs", n.handleList)
	mux.HandleFunc("GET /v1/jobs/{name}", n.handleGet)
	mux.HandleFunc("PUT /v1/jobs/{name}", n.handlePut)
	mux.HandleFunc("DELETE /v1/jobs/{name}", n.handleDelete)
	mux.HandleFunc("POST /v1/jobs/{name}/run", n.handleRunNow)
	mux.HandleFunc("GET /v1/jobs/{name}/runs", n.handleHistory)
	mux.HandleFunc("GET /v1/leader", n.handleLeader)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorBody{Error: err.Error()})
}

// readJSON decodes a bounded body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, DefaultMaxBody)
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: body over %d bytes", job.ErrDecode, DefaultMaxBody))
		} else {
			writeErr(w, http.StatusBadRequest, fmt.Errorf("%w: %v", job.ErrDecode, err))
		}
		return false
	}
	return true
}

// statusOf maps an error to an HTTP status.
func statusOf(err error) int {
	var nl *raft.NotLeaderError
	switch {
	case errors.As(err, &nl):
		return http.StatusMisdirectedRequest
	case errors.Is(err, job.ErrInvalid), errors.Is(err, job.ErrDecode):
		return http.StatusBadRequest
	case errors.Is(err, job.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, job.ErrFenced), errors.Is(err, job.ErrState):
		return http.StatusConflict
	case errors.Is(err, ErrNoExecutor):
		return http.StatusServiceUnavailable
	}
	return http.StatusServiceUnavailable
}

// leaderOnly answers for a follower: a write goes to the leader. It
// redirects (307, which keeps method and body) when the leader is known.
func (n *Node) leaderOnly(w http.ResponseWriter, r *http.Request) (*raft.Server, bool) {
	srv := n.Raft()
	if srv != nil && srv.IsLeader() {
		return srv, true
	}
	if api := n.leaderAPI(); api != "" && r.Header.Get("X-Job-Forwarded") == "" {
		http.Redirect(w, r, "http://"+api+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		return nil, false
	}
	writeJSON(w, http.StatusMisdirectedRequest, errorBody{Error: raft.ErrNotLeader.Error(), Leader: n.leaderAPI()})
	return nil, false
}

func (n *Node) handleDispatch(w http.ResponseWriter, r *http.Request) {
	var req dispatchReq
	if !readJSON(w, r, &req) {
		return
	}
	if err := req.Spec.Validate(); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	req.Spec = req.Spec.Normalize()
	if req.Run.Job != req.Spec.Name || req.Run.Token == 0 || req.Run.At.IsZero() {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("%w: dispatch run does not match its job", job.ErrInvalid))
		return
	}
	if err := n.exec.accept(req); err != nil {
		writeErr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
}

func (n *Node) handleQuery(w http.ResponseWriter, r *http.Request) {
	var req queryReq
	if !readJSON(w, r, &req) {
		return
	}
	writeJSON(w, http.StatusOK, n.exec.answer(req.Run))
}

// handleReport takes an executor's start or finish, on the leader.
func (n *Node) handleReport(w http.ResponseWriter, r *http.Request) {
	var c job.Command
	if !readJSON(w, r, &c) {
		return
	}
	if c.Op != job.OpStart && c.Op != job.OpFinish {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("%w: report op %q", job.ErrInvalid, c.Op))
		return
	}
	srv := n.Raft()
	if srv == nil || !srv.IsLeader() {
		writeJSON(w, http.StatusMisdirectedRequest, errorBody{Error: raft.ErrNotLeader.Error()})
		return
	}
	c.Now = time.Time{} // the leader's clock, not the reporter's
	run, err := n.apply(r.Context(), srv, c)
	if err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (n *Node) handleList(w http.ResponseWriter, _ *http.Request) {
	var out []JobInfo
	n.fsm.View(func(l *job.Ledger) {
		for _, js := range l.Jobs {
			out = append(out, JobInfo{Spec: js.Spec, NextAt: js.NextAt})
		}
	})
	sortJobs(out)
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleGet(w http.ResponseWriter, r *http.Request) {
	var info *JobInfo
	n.fsm.View(func(l *job.Ledger) {
		if js := l.Jobs[r.PathValue("name")]; js != nil {
			info = &JobInfo{Spec: js.Spec, NextAt: js.NextAt}
		}
	})
	if info == nil {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: job %q", job.ErrNotFound, r.PathValue("name")))
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (n *Node) handlePut(w http.ResponseWriter, r *http.Request) {
	var s job.Spec
	if !readJSON(w, r, &s) {
		return
	}
	if s.Name == "" {
		s.Name = r.PathValue("name")
	}
	if s.Name != r.PathValue("name") {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("%w: name %q in body, %q in path", job.ErrInvalid, s.Name, r.PathValue("name")))
		return
	}
	if err := s.Validate(); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	srv, ok := n.leaderOnly(w, r)
	if !ok {
		return
	}
	if _, err := n.apply(r.Context(), srv, job.Command{Op: job.OpPut, Spec: &s}); err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, s.Normalize())
}

func (n *Node) handleDelete(w http.ResponseWriter, r *http.Request) {
	srv, ok := n.leaderOnly(w, r)
	if !ok {
		return
	}
	if _, err := n.apply(r.Context(), srv, job.Command{Op: job.OpDelete, Job: r.PathValue("name")}); err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// handleRunNow dispatches a manual run, scheduled at the leader's now.
func (n *Node) handleRunNow(w http.ResponseWriter, r *http.Request) {
	srv, ok := n.leaderOnly(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	var s *job.Spec
	load := map[string]float64{}
	n.fsm.View(func(l *job.Ledger) {
		if js := l.Jobs[name]; js != nil {
			cp := js.Spec
			s = &cp
		}
		for jn := range l.Jobs {
			for _, a := range l.Active(jn) {
				load[a.Executor]++
			}
		}
	})
	if s == nil {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: job %q", job.ErrNotFound, name))
		return
	}
	now := n.o.now().UTC()
	c := job.Command{Op: job.OpDispatch, Now: now, Job: name, At: now, Attempt: 1, Manual: true, Reason: "run now"}
	run, err := n.dispatch(r.Context(), srv, *s, c, n.liveMembers(), load)
	if err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusAccepted, run)
}

func (n *Node) handleHistory(w http.ResponseWriter, r *http.Request) {
	var runs []job.Run
	found := false
	n.fsm.View(func(l *job.Ledger) {
		_, found = l.Jobs[r.PathValue("name")]
		runs = l.History(r.PathValue("name"))
	})
	if !found {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: job %q", job.ErrNotFound, r.PathValue("name")))
		return
	}
	writeJSON(w, http.StatusOK, runs)
}

func (n *Node) handleLeader(w http.ResponseWriter, _ *http.Request) {
	srv := n.Raft()
	id := ""
	if srv != nil {
		id, _ = srv.Leader()
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "api": n.leaderAPI()})
}

// call POSTs req as JSON to another member and decodes a 2xx answer into
// resp (if not nil).
func (n *Node) call(api, path string, req, resp any) error {
	st, err := n.callStatus(api, path, req, resp)
	if err != nil {
		return err
	}
	if st/100 != 2 {
		return fmt.Errorf("node: %s%s: status %d", api, path, st)
	}
	return nil
}

func (n *Node) callStatus(api, path string, req, resp any) (int, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.o.callTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+api+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := n.client.Do(hr)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body := io.LimitReader(res.Body, DefaultMaxBody)
	if res.StatusCode/100 == 2 && resp != nil {
		if err := json.NewDecoder(body).Decode(resp); err != nil {
			return res.StatusCode, fmt.Errorf("%w: answer: %v", job.ErrDecode, err)
		}
	}
	_, _ = io.Copy(io.Discard, body)
	return res.StatusCode, nil
}
