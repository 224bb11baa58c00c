package node

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A hostile HTTP client: one that announces a body and sends it slowly
// is closed after HTTPTimeout and stores nothing; while the connection
// limit's worth of such clients are open, a new client waits, and is
// served once they are closed.
func TestHTTPSlowRequestClosed(t *testing.T) {
	c := startCluster(t, 1, func(cfg *Config) {
		cfg.HTTPMaxConns, cfg.HTTPTimeout = 2, 500*time.Millisecond
	})
	n := c.nodes[0]
	addr := n.HTTPAddr()
	slow := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := io.WriteString(conn, "PUT /v1/keys/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	held := []net.Conn{slow(), slow()}

	// A third client is accepted only once a slot frees: the slow ones
	// are cut by the timeout, so its request completes.
	done := make(chan error, 1)
	go func() {
		cl := &http.Client{Timeout: 20 * time.Second}
		res, err := cl.Get("http://" + addr + "/v1/keys/slow")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				err = errors.New(res.Status)
			}
		}
		done <- err
	}()
	for _, conn := range held {
		if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("a slow request was not closed by the server (read %q)", b)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("the client waiting for a slot: %v", err)
	}
	if v, err := c.client(0).Get(context.Background(), "slow").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("a half-sent body: GET slow = %q, %v", v, err)
	}
}

// While the connection limit's worth of clients hold connections open,
// a new client is not accepted; once one closes, it is.
func TestHTTPConnLimit(t *testing.T) {
	c := startCluster(t, 1, func(cfg *Config) { cfg.HTTPMaxConns = 2 })
	addr := c.nodes[0].HTTPAddr()
	var held []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		held = append(held, conn)
	}
	get := func(d time.Duration) error {
		cl := &http.Client{Timeout: d, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := cl.Get("http://" + addr + "/v1/keys/k")
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	if err := get(300 * time.Millisecond); err == nil {
		t.Fatal("a third client was served while two connections of two were open")
	}
	held[0].Close()
	if err := get(20 * time.Second); err != nil {
		t.Fatalf("after a connection closed: %v", err)
	}
}

func TestHTTPConfigRefused(t *testing.T) {
	for _, cfg := range []Config{{HTTPMaxConns: -1}, {HTTPTimeout: -time.Second}} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}
