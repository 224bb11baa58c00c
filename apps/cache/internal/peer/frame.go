package peer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame types with a fixed meaning; request types are the caller's
// (1..TypeMaxRequest).
const (
	typeHello = 0
	// TypeMaxRequest is the largest request type a Handler may receive.
	TypeMaxRequest = 200
	typeOK         = 254
	typeError      = 255
)

const (
	headerLen = 4 + 1 + 8
	nonceLen  = 16
	macLen    = sha256.Size
	maxIDLen  = 512
)

var (
	// ErrFrameTooLarge is returned for a frame above the configured bound.
	ErrFrameTooLarge = errors.New("peer: frame too large")
	// ErrRefused is returned when a peer refuses the handshake (not a
	// member, wrong secret) or a request.
	ErrRefused = errors.New("peer: refused")
	// ErrClosed is returned for calls on a closed pool or connection.
	ErrClosed = errors.New("peer: connection closed")
)

// RemoteError is an error a peer's handler returned for a request.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return "peer: remote: " + e.Msg }

type frame struct {
	typ     byte
	id      uint64
	payload []byte
}

func appendFrame(dst []byte, typ byte, id uint64, payload []byte) []byte {
	return append(appendHeader(dst, typ, id, len(payload)), payload...)
}

// appendHeader appends the header of a frame whose payload has n bytes.
func appendHeader(dst []byte, typ byte, id uint64, n int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(1+8+n))
	dst = append(dst, typ)
	return binary.BigEndian.AppendUint64(dst, id)
}

// readFrame reads one frame whose length is checked against max before
// anything is allocated.
func readFrame(r io.Reader, hdr []byte, max int) (frame, error) {
	if _, err := io.ReadFull(r, hdr[:headerLen]); err != nil {
		return frame{}, err
	}
	n := int(binary.BigEndian.Uint32(hdr))
	if n < 9 {
		return frame{}, fmt.Errorf("%w: frame length %d", ErrMalformed, n)
	}
	if n-9 > max {
		return frame{}, fmt.Errorf("%w: %d bytes (max %d)", ErrFrameTooLarge, n-9, max)
	}
	f := frame{typ: hdr[4], id: binary.BigEndian.Uint64(hdr[5:13])}
	f.payload = make([]byte, n-9)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, err
	}
	return f, nil
}

// mac authenticates id's answer to nonce under secret.
func mac(secret []byte, nonce []byte, id string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("libgossip-cache/1"))
	h.Write(nonce)
	h.Write([]byte(id))
	return h.Sum(nil)
}
