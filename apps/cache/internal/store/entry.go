package store

import (
	"github.com/libgossip/libgossip/utils/clock"
)

// Version orders writes of one key: the HLC timestamp of the write, then
// Node, a tie-breaker identifying the writer, so that two writes never
// compare equal unless they are the same write.
type Version struct {
	TS   clock.Timestamp
	Node uint64
}

// Compare returns -1, 0 or +1 as v is older than, the same as or newer
// than u.
func (v Version) Compare(u Version) int {
	if c := v.TS.Compare(u.TS); c != 0 {
		return c
	}
	switch {
	case v.Node < u.Node:
		return -1
	case v.Node > u.Node:
		return 1
	}
	return 0
}

// IsZero reports whether v is the zero Version (no write).
func (v Version) IsZero() bool { return v == Version{} }

// Entry is one key's state: a value or a tombstone, with its version and
// expiry.
type Entry struct {
	// Value is the stored bytes. The store keeps the slice it is given;
	// callers must not modify it afterwards, nor a Value they read.
	Value []byte
	// Version orders this entry against other writes of the key.
	Version Version
	// ExpireAt is the expiry in Unix milliseconds; 0 means never.
	ExpireAt int64
	// Deleted marks a tombstone: the key was deleted at Version.
	Deleted bool
}

// Live reports whether e holds a value that has not expired at nowMS
// (Unix milliseconds).
func (e Entry) Live(nowMS int64) bool {
	return !e.Deleted && (e.ExpireAt == 0 || e.ExpireAt > nowMS)
}

// entryOverhead approximates the bytes a stored entry costs beyond its key
// and value: the LRU element, map slot and Entry header.
const entryOverhead = 160

// size is what an entry of key counts against the byte bound.
func size(key string, e *Entry) int64 {
	return int64(len(key) + len(e.Value) + entryOverhead)
}
