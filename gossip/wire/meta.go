package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// MaxMetaKeyLen is the longest metadata key, in bytes.
const MaxMetaKeyLen = 255

// EncodeMeta encodes metadata as a canonical string: a count, then the pairs
// sorted by key, each key and value prefixed by its length. Equal maps give
// equal strings. An empty or nil map encodes to "". It returns an error
// wrapping ErrTooLarge if the result exceeds max bytes (or MaxMetaSize), or
// ErrMalformed for an empty key or a key over MaxMetaKeyLen.
func EncodeMeta(meta map[string]string, max int) (string, error) {
	if len(meta) == 0 {
		return "", nil
	}
	if max <= 0 || max > MaxMetaSize {
		max = MaxMetaSize
	}
	keys := make([]string, 0, len(meta))
	size := uvlen(uint64(len(meta)))
	for k, v := range meta {
		if k == "" {
			return "", fmt.Errorf("%w: empty metadata key", ErrMalformed)
		}
		if len(k) > MaxMetaKeyLen {
			return "", fmt.Errorf("%w: metadata key of %d bytes, limit %d", ErrMalformed, len(k), MaxMetaKeyLen)
		}
		keys = append(keys, k)
		size += slen(k) + slen(v)
	}
	if size > max {
		return "", fmt.Errorf("%w: metadata encodes to %d bytes, limit %d", ErrTooLarge, size, max)
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendStr(b, k)
		b = appendStr(b, meta[k])
	}
	return string(b), nil
}

// DecodeMeta decodes a string produced by EncodeMeta. "" decodes to an empty,
// non-nil map.
func DecodeMeta(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" {
		return m, nil
	}
	err := walkMeta([]byte(s), func(k, v []byte) { m[string(k)] = string(v) })
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ValidateMeta reports whether s is a canonical metadata encoding no larger
// than MaxMetaSize.
func ValidateMeta(s string) error {
	if len(s) > MaxMetaSize {
		return fmt.Errorf("%w: metadata is %d bytes, limit %d", ErrTooLarge, len(s), MaxMetaSize)
	}
	if s == "" {
		return nil
	}
	if err := validateMeta([]byte(s)); err != nil {
		return fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
	}
	return nil
}

func validateMeta(b []byte) error { return walkMeta(b, nil) }

var errMeta = errors.New("invalid metadata encoding")

func walkMeta(b []byte, fn func(k, v []byte)) error {
	n, c := binary.Uvarint(b)
	if c <= 0 || n == 0 || n > uint64(len(b)) {
		return errMeta
	}
	b = b[c:]
	var prev []byte
	take := func(max int) ([]byte, bool) {
		l, c := binary.Uvarint(b)
		if c <= 0 || l > uint64(max) || l > uint64(len(b)-c) {
			return nil, false
		}
		v := b[c : c+int(l)]
		b = b[c+int(l):]
		return v, true
	}
	for i := uint64(0); i < n; i++ {
		k, ok := take(MaxMetaKeyLen)
		if !ok || len(k) == 0 || (i > 0 && string(k) <= string(prev)) {
			return errMeta
		}
		v, ok := take(MaxMetaSize)
		if !ok {
			return errMeta
		}
		if fn != nil {
			fn(k, v)
		}
		prev = k
	}
	if len(b) != 0 {
		return errMeta
	}
	return nil
}
