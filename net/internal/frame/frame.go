package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// HeaderSize is the size of a frame's length prefix in bytes.
const HeaderSize = 4

// ErrTooLarge reports a frame whose announced length exceeds the limit.
var ErrTooLarge = errors.New("frame: too large")

// Append appends b as one frame to dst.
func Append(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// Write writes b as one frame with a single Write call.
func Write(w io.Writer, b []byte) error {
	_, err := w.Write(Append(make([]byte, 0, HeaderSize+len(b)), b))
	return err
}

// ReadHeader reads a frame's length and checks it against max.
func ReadHeader(r io.Reader, max int) (int, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if uint64(n) > uint64(max) {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, max)
	}
	return int(n), nil
}

// Read reads one frame of at most max bytes into a new slice.
func Read(r io.Reader, max int) ([]byte, error) {
	n, err := ReadHeader(r, max)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}
