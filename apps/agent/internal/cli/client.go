package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client talks to an agent's HTTP API.
type client struct {
	base  string
	token string
	hc    *http.Client
}

// clientFlags adds -http-addr and -token to fs; env LIBGOSSIP_HTTP_ADDR and
// LIBGOSSIP_HTTP_TOKEN give their defaults.
func clientFlags(fs *flag.FlagSet, env Env) func() *client {
	addr := env.Getenv("LIBGOSSIP_HTTP_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8946"
	}
	a := fs.String("http-addr", addr, "agent HTTP API address (env LIBGOSSIP_HTTP_ADDR)")
	t := fs.String("token", env.Getenv("LIBGOSSIP_HTTP_TOKEN"), "bearer token (env LIBGOSSIP_HTTP_TOKEN)")
	return func() *client {
		base := *a
		if !strings.Contains(base, "://") {
			base = "http://" + base
		}
		return &client{base: strings.TrimRight(base, "/"), token: *t, hc: &http.Client{Timeout: 60 * time.Second}}
	}
}

// apiErr is an error the agent answered with.
type apiErr struct {
	status int
	msg    string
}

func (e apiErr) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.msg, e.status) }

func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("agent unreachable at %s: %w", c.base, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return apiErr{resp.StatusCode, e.Error}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = b
		return nil
	}
	return json.Unmarshal(b, out)
}

// stream reads the agent's SSE stream and calls fn with each event's data
// until ctx ends or the stream closes.
func (c *client) stream(ctx context.Context, types string, fn func(data []byte) error) error {
	q := ""
	if types != "" {
		q = "?types=" + url.QueryEscape(types)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/stream"+q, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := &http.Client{} // no timeout: a stream lasts
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("agent unreachable at %s: %w", c.base, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return apiErr{resp.StatusCode, strings.TrimSpace(string(b))}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			if err := fn([]byte(d)); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}
