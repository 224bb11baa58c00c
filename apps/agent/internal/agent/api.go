package agent

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/query"
	"github.com/libgossip/libgossip/utils/connlimit"
)

// apiServer is the HTTP listener: /v1 API, /v1/stream (SSE), /metrics,
// /dashboard/, /healthz and /readyz. What an unauthenticated client can
// make it do is bounded: connections (the listener accepts at most
// HTTPMaxConns at once), header size and read time, request body size,
// handler time (HTTPTimeout) and open streams (HTTPStreams).
type apiServer struct {
	a       *Agent
	srv     *http.Server
	ln      *connlimit.Listener
	token   string
	maxBody int64
	timeout time.Duration
	streams chan struct{}
	done    chan struct{}
	stop    chan struct{}
	once    sync.Once
}

func newAPIServer(a *Agent, cfg Config) (*apiServer, error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("%w: http_addr: %w", ErrConfig, err)
	}
	lim, err := connlimit.New(ln, cfg.HTTPMaxConns)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("%w: http_max_conns: %w", ErrConfig, err)
	}
	s := &apiServer{a: a, ln: lim, token: cfg.HTTPToken, maxBody: cfg.HTTPMaxBody,
		timeout: time.Duration(cfg.HTTPTimeout), streams: make(chan struct{}, cfg.HTTPStreams),
		done: make(chan struct{}), stop: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       s.timeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          nil,
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.ln)
	}()
	return s, nil
}

func (s *apiServer) addr() string { return s.ln.Addr().String() }

func (s *apiServer) shutdown(ctx context.Context) error {
	s.once.Do(func() { close(s.stop) })
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	return err
}

func (s *apiServer) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request) (any, error)) {
		mux.Handle(pattern, s.auth(http.TimeoutHandler(s.json(h), s.timeout, `{"error":"request timed out"}`)))
	}
	api("GET /v1/members", s.members)
	api("GET /v1/info", func(http.ResponseWriter, *http.Request) (any, error) { return s.a.Info(), nil })
	api("POST /v1/join", s.join)
	api("POST /v1/leave", s.leave)
	api("POST /v1/force-leave", s.forceLeave)
	api("POST /v1/event", s.event)
	api("POST /v1/query", s.query)
	api("GET /v1/tags", func(http.ResponseWriter, *http.Request) (any, error) { return s.a.self().Tags, nil })
	api("POST /v1/tags", s.tags)
	api("POST /v1/keys", s.keys)
	api("GET /v1/leader", func(http.ResponseWriter, *http.Request) (any, error) { return s.a.LeaderInfo(), nil })
	api("GET /v1/kv/{key...}", func(_ http.ResponseWriter, r *http.Request) (any, error) {
		if k := r.PathValue("key"); k != "" {
			return s.a.KVGet(k)
		}
		return s.a.KVList(r.URL.Query().Get("prefix")), nil
	})
	api("PUT /v1/kv/{key...}", s.kvPut)
	api("DELETE /v1/kv/{key...}", func(_ http.ResponseWriter, r *http.Request) (any, error) {
		return map[string]string{"deleted": r.PathValue("key")}, s.a.KVDelete(r.PathValue("key"))
	})
	api("POST /v1/reload", func(http.ResponseWriter, *http.Request) (any, error) {
		return map[string]bool{"reloaded": true}, s.a.Reload()
	})
	mux.Handle("GET /v1/stream", s.auth(http.HandlerFunc(s.stream)))
	if h := s.a.tel.MetricsHandler; h != nil {
		mux.Handle("GET /metrics", s.auth(h))
	}
	mux.Handle("/dashboard/", s.auth(http.StripPrefix("/dashboard", s.limitStream(s.a.dash))))
	mux.Handle("GET /healthz", s.a.health.Healthz())
	mux.Handle("GET /readyz", s.a.health.Readyz())
	return mux
}

// auth requires the bearer token when one is configured.
func (s *apiServer) auth(h http.Handler) http.Handler {
	if s.token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="libgossip"`)
			writeJSON(w, http.StatusUnauthorized, apiError{"missing or wrong bearer token"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// limitStream bounds the dashboard's streams by the same stream budget.
func (s *apiServer) limitStream(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/events") {
			http.TimeoutHandler(h, s.timeout, "timed out").ServeHTTP(w, r)
			return
		}
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		h.ServeHTTP(w, r)
	})
}

type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func statusOf(err error) int {
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrReservedTag):
		return http.StatusBadRequest
	case errors.Is(err, ErrNoKeyring):
		return http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

func (s *apiServer) json(h func(w http.ResponseWriter, r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		v, err := h(w, r)
		if err != nil {
			writeJSON(w, statusOf(err), apiError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// decode reads a JSON body into v; an empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return fmt.Errorf("%w: body: %w", ErrBadRequest, err)
	}
	return nil
}

func (s *apiServer) members(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	f := MemberFilter{Status: q.Get("status"), Name: q.Get("name")}
	for _, t := range q["tag"] {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return nil, fmt.Errorf("%w: tag %q: want key=value", ErrBadRequest, t)
		}
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		f.Tags[k] = v
	}
	ms, err := s.a.Members(f)
	if ms == nil {
		ms = []Member{}
	}
	return ms, err
}

func (s *apiServer) join(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Addrs []string `json:"addrs"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.a.Join(r.Context(), req.Addrs); err != nil {
		return nil, err
	}
	return map[string]int{"joined": len(req.Addrs)}, nil
}

func (s *apiServer) leave(_ http.ResponseWriter, r *http.Request) (any, error) {
	err := s.a.Leave(r.Context())
	if err == nil {
		s.a.leftMu.Do(func() { close(s.a.left) })
	}
	return map[string]bool{"left": err == nil}, err
}

func (s *apiServer) forceLeave(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req forceLeaveReq
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Node == "" {
		return nil, fmt.Errorf("%w: node is empty", ErrBadRequest)
	}
	return map[string]string{"forced": req.Node}, s.a.ForceLeave(r.Context(), req.Node, req.Prune)
}

func (s *apiServer) event(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Name    string `json:"name"`
		Payload string `json:"payload"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return map[string]string{"sent": req.Name}, s.a.UserEvent(req.Name, req.Payload)
}

func (s *apiServer) query(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Name    string            `json:"name"`
		Payload string            `json:"payload"`
		Nodes   []string          `json:"nodes"`
		Tags    map[string]string `json:"tags"`
		Timeout Duration          `json:"timeout"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	t := time.Duration(req.Timeout)
	if t <= 0 {
		t = 2 * time.Second
	}
	if t > s.timeout-time.Second {
		t = max(s.timeout-time.Second, time.Second)
	}
	return s.a.Query(r.Context(), req.Name, req.Payload, query.Filter{IDs: req.Nodes, Tags: req.Tags}, t)
}

func (s *apiServer) tags(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Set    map[string]string `json:"set"`
		Delete []string          `json:"delete"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.a.SetTags(req.Set, req.Delete)
}

func (s *apiServer) keys(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req keysReq
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.a.Keys(r.Context(), req.Op, req.Key, 2*time.Second)
}

func (s *apiServer) kvPut(_ http.ResponseWriter, r *http.Request) (any, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	return s.a.KVPut(r.PathValue("key"), b)
}

// stream serves the event stream as Server-Sent Events: one "event: TYPE"
// and "data: JSON" per event. Query "types" filters by comma-separated
// kinds ("log" for log records; default every member and user event).
func (s *apiServer) stream(w http.ResponseWriter, r *http.Request) {
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		writeJSON(w, http.StatusServiceUnavailable, apiError{"too many open streams"})
		return
	}
	var filters []string
	if t := r.URL.Query().Get("types"); t != "" {
		filters = strings.Split(t, ",")
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, http.StatusInternalServerError, apiError{"streaming unsupported"})
		return
	}
	ch := s.a.broker.subscribe(256)
	defer s.a.broker.unsubscribe(ch)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // a stream outlives the request read timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, ": libgossip agent event stream\n\n")
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-ping.C:
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			_, err = io.WriteString(w, ": ping\n\n")
		case e := <-ch:
			if !matches(filters, e) {
				continue
			}
			b, _ := json.Marshal(e)
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, b)
		}
		if err != nil {
			return
		}
		fl.Flush()
	}
}
