package kv

import (
	"encoding/binary"
	"fmt"
)

// Command operations.
const (
	opPut byte = iota + 1
	opDelete
	opCAS
)

// command is one write as it travels through the raft log.
type command struct {
	Op       byte
	Key      string
	Value    []byte
	Expected uint64 // opCAS: the version the key must have (0: absent)
}

// Hard bounds of the decoder, whatever the configured limits.
const (
	maxKeyBytes   = 64 << 10
	maxValueBytes = 16 << 20
)

func (c command) encode() []byte {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(c.Key)+len(c.Value)+binary.MaxVarintLen64)
	b = append(b, c.Op)
	b = binary.AppendUvarint(b, uint64(len(c.Key)))
	b = append(b, c.Key...)
	if c.Op == opPut || c.Op == opCAS {
		b = binary.AppendUvarint(b, uint64(len(c.Value)))
		b = append(b, c.Value...)
	}
	if c.Op == opCAS {
		b = binary.AppendUvarint(b, c.Expected)
	}
	return b
}

// reader reads length-prefixed fields with bounds.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(limit int) []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(limit) || n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: field of %d bytes (limit %d, %d left)", ErrCorrupt, n, limit, len(r.b))
		return nil
	}
	out := make([]byte, n)
	copy(out, r.b[:n])
	r.b = r.b[n:]
	return out
}

func decodeCommand(b []byte) (command, error) {
	if len(b) == 0 {
		return command{}, fmt.Errorf("%w: empty command", ErrCorrupt)
	}
	c := command{Op: b[0]}
	if c.Op < opPut || c.Op > opCAS {
		return command{}, fmt.Errorf("%w: unknown operation %d", ErrCorrupt, c.Op)
	}
	r := &reader{b: b[1:]}
	c.Key = string(r.bytes(maxKeyBytes))
	if c.Op == opPut || c.Op == opCAS {
		c.Value = r.bytes(maxValueBytes)
	}
	if c.Op == opCAS {
		c.Expected = r.uvarint()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.b))
	}
	if r.err != nil {
		return command{}, r.err
	}
	return c, nil
}
