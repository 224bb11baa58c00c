package node

import (
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

//go:embed static/dashboard.html
var dashboard []byte

// httpHandler serves /v1/keys/{key} (GET, PUT with the value as body and
// an optional ?ttl= in seconds, DELETE), /v1/members (the key count each
// member owns), /dashboard (those counts as a page) and /metrics.
func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(dashboard)
	})
	mux.HandleFunc("GET /v1/keys/{key}", func(w http.ResponseWriter, r *http.Request) {
		n.httpExec(w, r, 3, "get", r.PathValue("key"))
	})
	mux.HandleFunc("PUT /v1/keys/{key}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(n.cfg.Limits.MaxBulk)))
		if err != nil {
			http.Error(w, "value too large or unreadable: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		args := []string{"set", r.PathValue("key"), string(body)}
		if ttl := r.URL.Query().Get("ttl"); ttl != "" {
			args = append(args, "EX", ttl)
		}
		n.httpExec(w, r, 3, args...)
	})
	mux.HandleFunc("DELETE /v1/keys/{key}", func(w http.ResponseWriter, r *http.Request) {
		n.httpExec(w, r, 3, "del", r.PathValue("key"))
	})
	mux.HandleFunc("GET /v1/members", func(w http.ResponseWriter, r *http.Request) {
		res, err := n.fanout(r.Context(), reqCount, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		out := map[string]string{}
		for id, b := range res {
			out[id] = string(b)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"self": n.self, "owned_keys": out})
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		n.writeMetrics(w)
	})
	return mux
}

// httpExec runs a command and maps its RESP reply to HTTP.
func (n *Node) httpExec(w http.ResponseWriter, r *http.Request, proto int, args ...string) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	reply := n.Exec(r.Context(), proto, bs)
	switch reply[0] {
	case '$':
		v, err := resp.ParseBulk(reply)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(v)
	case '_':
		http.Error(w, "not found", http.StatusNotFound)
	case ':':
		if string(reply) == ":0\r\n" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case '+':
		w.WriteHeader(http.StatusNoContent)
	default:
		msg := strings.TrimSpace(string(reply[1:]))
		code := http.StatusServiceUnavailable
		if strings.HasPrefix(msg, "ERR") {
			code = http.StatusBadRequest
		}
		http.Error(w, msg, code)
	}
}
