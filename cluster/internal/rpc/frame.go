package rpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Errors of this package. Callers test them with errors.Is.
var (
	// ErrFrameTooLarge reports a frame whose length exceeds the limit.
	ErrFrameTooLarge = errors.New("rpc: frame too large")
	// ErrMalformed reports a frame that does not decode.
	ErrMalformed = errors.New("rpc: malformed frame")
	// ErrBusy reports a server that refused the connection because a
	// connection limit was reached; the call may be retried later.
	ErrBusy = errors.New("rpc: server busy")
	// ErrRemote wraps an error message returned by the remote handler.
	ErrRemote = errors.New("rpc: remote error")
	// ErrClosed reports use of a server that has been shut down.
	ErrClosed = errors.New("rpc: server closed")
)

// Frame kinds (the first byte of every frame).
const (
	kindRequest  byte = 1
	kindResponse byte = 2
	kindError    byte = 3
	kindBusy     byte = 4
	kindReady    byte = 5
)

// MaxMethodLen is the longest method name, in bytes.
const MaxMethodLen = 64

// MaxErrorLen is the longest error message carried in an error frame, in
// bytes; longer messages are truncated.
const MaxErrorLen = 1024

// readChunk is the most a frame read allocates ahead of received bytes.
const readChunk = 64 << 10

// WriteFrame writes b as one frame: a 4-byte big-endian length, then b.
func WriteFrame(w io.Writer, b []byte) error {
	if uint64(len(b)) > 0xFFFFFFFF {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(b))
	}
	buf := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(buf, uint32(len(b)))
	_, err := w.Write(append(buf, b...))
	return err
}

// ReadFrame reads one frame of at most limit bytes from r. The length is
// checked before any allocation, and the body is read in chunks, so a peer
// that claims a large frame and sends little costs little memory. A length
// over limit returns an error wrapping ErrFrameTooLarge; a short body
// returns io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, limit int) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(h[:]))
	if n > int64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, limit)
	}
	out := make([]byte, 0, min(n, readChunk))
	for int64(len(out)) < n {
		step := min(n-int64(len(out)), readChunk)
		start := len(out)
		out = append(out, make([]byte, step)...)
		if _, err := io.ReadFull(r, out[start:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return out, nil
}

// EncodeRequest returns the frame payload of a request for method with body.
func EncodeRequest(method string, body []byte) ([]byte, error) {
	if method == "" || len(method) > MaxMethodLen {
		return nil, fmt.Errorf("%w: method name of %d bytes (1 to %d)", ErrMalformed, len(method), MaxMethodLen)
	}
	b := make([]byte, 0, 2+len(method)+len(body))
	b = append(b, kindRequest, byte(len(method)))
	b = append(b, method...)
	return append(b, body...), nil
}

// DecodeRequest splits a request frame payload into its method and body.
// The body aliases p. Anything else returns an error wrapping ErrMalformed.
func DecodeRequest(p []byte) (method string, body []byte, err error) {
	if len(p) < 2 || p[0] != kindRequest {
		return "", nil, fmt.Errorf("%w: not a request", ErrMalformed)
	}
	n := int(p[1])
	if n == 0 || n > MaxMethodLen || len(p) < 2+n {
		return "", nil, fmt.Errorf("%w: bad method length %d", ErrMalformed, n)
	}
	return string(p[2 : 2+n]), p[2+n:], nil
}

func encodeResponse(body []byte) []byte {
	return append([]byte{kindResponse}, body...)
}

func encodeError(kind byte, msg string) []byte {
	if len(msg) > MaxErrorLen {
		msg = msg[:MaxErrorLen]
	}
	return append([]byte{kind}, msg...)
}

// decodeGreeting interprets the server's first frame: nil for ready, or
// ErrBusy or ErrMalformed.
func decodeGreeting(p []byte) error {
	if len(p) == 1 && p[0] == kindReady {
		return nil
	}
	if len(p) == 1 && p[0] == kindBusy {
		return ErrBusy
	}
	return fmt.Errorf("%w: bad greeting", ErrMalformed)
}

// DecodeResponse interprets a response frame payload: the body of a
// successful call (aliasing p), or an error wrapping ErrRemote (the
// handler failed), ErrBusy (the server refused the connection) or
// ErrMalformed.
func DecodeResponse(p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: empty response", ErrMalformed)
	}
	switch p[0] {
	case kindResponse:
		return p[1:], nil
	case kindError:
		if len(p)-1 > MaxErrorLen {
			return nil, fmt.Errorf("%w: error message of %d bytes", ErrMalformed, len(p)-1)
		}
		return nil, fmt.Errorf("%w: %s", ErrRemote, printable(p[1:]))
	case kindBusy:
		return nil, ErrBusy
	}
	return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformed, p[0])
}

// printable keeps a remote message safe to log.
func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out = append(out, c)
	}
	return string(out)
}
