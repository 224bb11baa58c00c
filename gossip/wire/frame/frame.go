package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// HeaderSize is the size of a frame's length prefix, in bytes.
	HeaderSize = 4
	// MaxSize is the default limit on one frame's body, in bytes
	// (32 MiB): the largest push-pull a Node reads from a stream. Memory
	// for a frame is allocated as its bytes arrive, never from the header
	// alone.
	MaxSize = 32 << 20
	// frameChunk is the first allocation for a frame body, in bytes; the
	// buffer then doubles as data arrives.
	frameChunk = 4 << 10
)

// ErrTooLarge reports a frame whose header claims more than the reader's
// limit.
var ErrTooLarge = errors.New("wire/frame: frame too large")

// Append appends b as one frame to dst. It panics if b is longer than
// 2^32-1 bytes.
func Append(dst, b []byte) []byte {
	if uint64(len(b)) > 0xFFFFFFFF {
		panic("wire/frame: frame longer than 4 GiB")
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// Write writes b as one frame with a single Write call, so frames written
// by concurrent callers (serialized by w) never interleave.
func Write(w io.Writer, b []byte) error {
	_, err := w.Write(Append(make([]byte, 0, HeaderSize+len(b)), b))
	return err
}

// ReadHeader reads a frame's length prefix and checks it against limit
// (bytes; 0 or less means MaxSize). A length over the limit returns an
// error wrapping ErrTooLarge.
func ReadHeader(r io.Reader, limit int) (int, error) {
	if limit <= 0 {
		limit = MaxSize
	}
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if uint64(n) > uint64(limit) {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, limit)
	}
	return int(n), nil
}

// Read reads one frame of at most limit bytes (0 or less means MaxSize)
// into a new slice. Memory grows with the bytes that have
// actually arrived (at most twice what was read, plus 4 KiB), so a header
// that claims a large frame costs nothing until the data follows. It
// returns io.EOF at a clean end before a header, io.ErrUnexpectedEOF for a
// truncated frame, and an error wrapping ErrTooLarge for a header over the
// limit.
func Read(r io.Reader, limit int) ([]byte, error) {
	n, err := ReadHeader(r, limit)
	if err != nil {
		return nil, err
	}
	return ReadBody(r, n)
}

// ReadBody reads a frame body of n bytes whose header has been read,
// allocating as data arrives (see Read).
func ReadBody(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, frameChunk))
	for len(b) < n {
		if len(b) == cap(b) {
			grown := make([]byte, len(b), min(n, 2*cap(b)))
			copy(grown, b)
			b = grown
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err != nil {
			if len(b) == n {
				break
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return b, nil
}
