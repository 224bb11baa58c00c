package kv

import (
	"encoding/binary"
	"fmt"

	"github.com/libgossip/libgossip/utils/clock"
)

// Wire format: every message starts with a version byte (1). Strings and
// byte slices are a uvarint length then the bytes; versions are the 12
// bytes of clock.Timestamp.MarshalBinary; counts are uvarints checked
// against the bytes that remain before anything is allocated.
const codecVersion = 1

type writer struct{ b []byte }

func (w *writer) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) bytes(p []byte)   { w.uvarint(uint64(len(p))); w.b = append(w.b, p...) }
func (w *writer) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *writer) ts(t clock.Timestamp) {
	w.b, _ = t.AppendBinary(w.b)
}
func (w *writer) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *writer) flag(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *writer) entry(e Entry) {
	w.str(e.Key)
	w.str(e.Origin)
	w.ts(e.Version)
	w.flag(e.Deleted)
	w.bytes(e.Value)
}

func (w *writer) digestEntry(d DigestEntry) {
	w.str(d.Key)
	w.str(d.Origin)
	w.ts(d.Version)
	w.flag(d.Deleted)
	w.u64(d.Sum)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || (n > 1 && r.b[n-1] == 0) { // overflow, truncated or not minimal
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) raw(what string, max int) []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(max) || n > uint64(len(r.b)) {
		r.fail("%s of %d bytes (limit %d, %d left)", what, n, max, len(r.b))
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) str(what string, max int) string { return string(r.raw(what, max)) }

func (r *reader) fixed(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("truncated")
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) ts() clock.Timestamp {
	var t clock.Timestamp
	if p := r.fixed(clock.EncodedLen); r.err == nil {
		if err := t.UnmarshalBinary(p); err != nil {
			r.fail("%v", err)
		}
	}
	return t
}

func (r *reader) flag() bool {
	p := r.fixed(1)
	if r.err != nil {
		return false
	}
	if p[0] > 1 {
		r.fail("bad flag %d", p[0])
	}
	return p[0] == 1
}

func (r *reader) u64() uint64 {
	p := r.fixed(8)
	if r.err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

// count reads a count of items each at least minSize bytes long.
func (r *reader) count(minSize int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/minSize) {
		r.fail("count %d exceeds the %d bytes left", n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *reader) entry() Entry {
	e := Entry{
		Key:     r.str("key", HardMaxKeySize),
		Origin:  r.str("origin", MaxOriginLen),
		Version: r.ts(),
		Deleted: r.flag(),
	}
	if v := r.raw("value", HardMaxValueSize); len(v) > 0 {
		e.Value = v
	}
	return e
}

func (r *reader) digestEntry() DigestEntry {
	return DigestEntry{
		Key:     r.str("key", HardMaxKeySize),
		Origin:  r.str("origin", MaxOriginLen),
		Version: r.ts(),
		Deleted: r.flag(),
		Sum:     r.u64(),
	}
}

func (r *reader) header() {
	if p := r.fixed(1); r.err == nil && p[0] != codecVersion {
		r.fail("version %d", p[0])
	}
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

const (
	minEntry       = 1 + 1 + clock.EncodedLen + 1 + 1
	minDigestEntry = 1 + 1 + clock.EncodedLen + 1 + 8
)

// EncodeEntries encodes a list of entries (a broadcast or a push).
func EncodeEntries(h clock.Timestamp, es []Entry) []byte {
	w := writer{b: []byte{codecVersion}}
	w.ts(h)
	w.uvarint(uint64(len(es)))
	for _, e := range es {
		w.entry(e)
	}
	return w.b
}

// DecodeEntries decodes what EncodeEntries wrote. Bad input returns an
// error wrapping ErrMalformed; values alias p.
func DecodeEntries(p []byte) (clock.Timestamp, []Entry, error) {
	r := reader{b: p}
	r.header()
	h := r.ts()
	n := r.count(minEntry)
	es := make([]Entry, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		es = append(es, r.entry())
	}
	if err := r.done(); err != nil {
		return clock.Timestamp{}, nil, err
	}
	return h, es, nil
}

// EncodeDigest encodes d.
func EncodeDigest(d Digest) []byte {
	w := writer{b: []byte{codecVersion}}
	w.ts(d.Horizon)
	w.u64(d.Hash)
	w.uvarint(uint64(len(d.Entries)))
	for _, e := range d.Entries {
		w.digestEntry(e)
	}
	return w.b
}

// DecodeDigest decodes what EncodeDigest wrote, or returns an error
// wrapping ErrMalformed.
func DecodeDigest(p []byte) (Digest, error) {
	r := reader{b: p}
	r.header()
	d := Digest{Horizon: r.ts(), Hash: r.u64()}
	n := r.count(minDigestEntry)
	d.Entries = make([]DigestEntry, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		d.Entries = append(d.Entries, r.digestEntry())
	}
	if err := r.done(); err != nil {
		return Digest{}, err
	}
	return d, nil
}

// EncodeReply encodes rp.
func EncodeReply(rp Reply) []byte {
	w := writer{b: []byte{codecVersion}}
	w.ts(rp.Horizon)
	w.uvarint(uint64(len(rp.Send)))
	for _, e := range rp.Send {
		w.entry(e)
	}
	w.uvarint(uint64(len(rp.Drop)))
	for _, e := range rp.Drop {
		w.digestEntry(e)
	}
	w.uvarint(uint64(len(rp.Want)))
	for _, k := range rp.Want {
		w.str(k)
	}
	return w.b
}

// DecodeReply decodes what EncodeReply wrote, or returns an error wrapping
// ErrMalformed.
func DecodeReply(p []byte) (Reply, error) {
	r := reader{b: p}
	r.header()
	rp := Reply{Horizon: r.ts()}
	n := r.count(minEntry)
	for i := 0; i < n && r.err == nil; i++ {
		rp.Send = append(rp.Send, r.entry())
	}
	n = r.count(minDigestEntry)
	for i := 0; i < n && r.err == nil; i++ {
		rp.Drop = append(rp.Drop, r.digestEntry())
	}
	n = r.count(1)
	for i := 0; i < n && r.err == nil; i++ {
		rp.Want = append(rp.Want, r.str("key", HardMaxKeySize))
	}
	if err := r.done(); err != nil {
		return Reply{}, err
	}
	return rp, nil
}
