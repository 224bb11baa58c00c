package rpc

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// Client calls methods on remote Servers. It holds no connections between
// calls and is safe for concurrent use.
type Client struct {
	opts options
}

// NewClient returns a client. WithMaxFrame bounds the responses it reads,
// WithTimeouts its reads and writes, WithTLS its dialing.
func NewClient(opts ...Option) (*Client, error) {
	o, err := build(opts)
	if err != nil {
		return nil, err
	}
	return &Client{opts: o}, nil
}

// Call sends one request for method with body to the server at addr and
// returns the response body. It blocks until the response, an error, or
// the end of ctx. Errors wrap ErrRemote (the handler failed), ErrBusy
// (the server is at a connection limit), ErrFrameTooLarge, ErrMalformed,
// or the network error.
func (c *Client) Call(ctx context.Context, addr, method string, body []byte) ([]byte, error) {
	req, err := EncodeRequest(method, body)
	if err != nil {
		return nil, err
	}
	if len(req) > c.opts.maxFrame {
		return nil, fmt.Errorf("%w: request of %d bytes, limit %d", ErrFrameTooLarge, len(req), c.opts.maxFrame)
	}
	var conn net.Conn
	if c.opts.dial != nil {
		conn, err = c.opts.dial(ctx, "tcp", addr)
		if err == nil && c.opts.tls != nil {
			tc := tls.Client(conn, c.opts.tls)
			if err = tc.HandshakeContext(ctx); err != nil {
				conn.Close()
			}
			conn = tc
		}
	} else if c.opts.tls != nil {
		td := tls.Dialer{Config: c.opts.tls}
		conn, err = td.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("rpc: dial %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	_ = conn.SetReadDeadline(time.Now().Add(c.opts.readTimeout))
	g, err := ReadFrame(conn, 16)
	if err != nil {
		return nil, c.fail(ctx, addr, err)
	}
	if err := decodeGreeting(g); err != nil {
		return nil, fmt.Errorf("rpc: %s: %w", addr, err)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(c.opts.writeTimeout))
	if err := WriteFrame(conn, req); err != nil {
		return nil, c.fail(ctx, addr, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(c.opts.readTimeout + c.opts.handlerTimeout))
	p, err := ReadFrame(conn, c.opts.maxFrame)
	if err != nil {
		return nil, c.fail(ctx, addr, err)
	}
	resp, err := DecodeResponse(p)
	if err != nil {
		return nil, fmt.Errorf("rpc: %s %s: %w", addr, method, err)
	}
	return resp, nil
}

func (c *Client) fail(ctx context.Context, addr string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("rpc: call %s: %w", addr, ctx.Err())
	}
	return fmt.Errorf("rpc: call %s: %w", addr, err)
}
