package peer

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/libgossip/libgossip/apps/cache/internal/store"
	"github.com/libgossip/libgossip/utils/clock"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("peer: malformed message")

// EntryOverhead bounds the bytes AppendEntry adds beyond a key and a
// value.
const EntryOverhead = 48

// KeyEntry is a key with its stored entry, as replicated between members.
type KeyEntry struct {
	Key   string
	Entry store.Entry
}

// appendBytes appends a uvarint length and b.
func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decoder reads the fields appendBytes and AppendUvarint wrote; the first
// error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(what + " length")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// EncodeExec encodes a forwarded command: the client's protocol version
// and the command's arguments.
func EncodeExec(proto int, args [][]byte) []byte {
	b := binary.AppendUvarint(nil, uint64(proto))
	b = binary.AppendUvarint(b, uint64(len(args)))
	for _, a := range args {
		b = appendBytes(b, a)
	}
	return b
}

// DecodeExec decodes EncodeExec's output. The arguments alias b.
func DecodeExec(b []byte) (proto int, args [][]byte, err error) {
	return DecodeExecInto(b, nil)
}

// DecodeExecInto is DecodeExec appending the arguments to args[:0]
// (scratch space the caller reuses).
func DecodeExecInto(b []byte, args [][]byte) (proto int, _ [][]byte, err error) {
	d := decoder{b: b}
	p := d.uvarint("proto")
	n := d.uvarint("argument count")
	if d.err == nil && (p > 3 || n == 0 || n > uint64(len(d.b))) {
		d.fail("proto or argument count")
	}
	if d.err != nil {
		return 0, nil, d.err
	}
	if args = args[:0]; cap(args) < int(n) {
		args = make([][]byte, 0, n)
	}
	for range n {
		args = append(args, d.bytes("argument"))
	}
	if err := d.done(); err != nil {
		return 0, nil, err
	}
	return int(p), args, nil
}

const (
	flagDeleted = 1 << iota
	flagExpires
)

// AppendEntry appends key's entry e as EncodeEntries encodes each of
// its entries: EncodeEntries's output is the count as a uvarint, then
// AppendEntry of each. An entry takes about EntryOverhead bytes beyond
// its key and value.
func AppendEntry(b []byte, key string, e store.Entry) []byte {
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	var flags uint64
	if e.Deleted {
		flags |= flagDeleted
	}
	if e.ExpireAt != 0 {
		flags |= flagExpires
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, uint64(e.Version.TS.Wall))
	b = binary.AppendUvarint(b, uint64(e.Version.TS.Logical))
	b = binary.AppendUvarint(b, e.Version.Node)
	if e.ExpireAt != 0 {
		b = binary.AppendUvarint(b, uint64(e.ExpireAt))
	}
	return appendBytes(b, e.Value)
}

func (d *decoder) entry() KeyEntry {
	var ke KeyEntry
	ke.Key = string(d.bytes("key"))
	flags := d.uvarint("flags")
	wall := d.uvarint("wall")
	logical := d.uvarint("logical")
	ke.Entry.Version.Node = d.uvarint("node")
	if flags&flagExpires != 0 {
		ke.Entry.ExpireAt = int64(d.uvarint("expiry"))
	}
	v := d.bytes("value")
	if d.err != nil {
		return KeyEntry{}
	}
	if flags > flagDeleted|flagExpires || wall > 1<<62 || logical > 1<<32-1 || ke.Entry.ExpireAt < 0 {
		d.fail("entry fields")
		return KeyEntry{}
	}
	ke.Entry.Deleted = flags&flagDeleted != 0
	ke.Entry.Version.TS = clock.Timestamp{Wall: int64(wall), Logical: uint32(logical)}
	ke.Entry.Value = append([]byte(nil), v...)
	return ke
}

// EncodeEntries encodes a batch of entries.
func EncodeEntries(es []KeyEntry) []byte {
	size := 10
	for _, e := range es {
		size += len(e.Key) + len(e.Entry.Value) + EntryOverhead
	}
	b := binary.AppendUvarint(make([]byte, 0, size), uint64(len(es)))
	for _, e := range es {
		b = AppendEntry(b, e.Key, e.Entry)
	}
	return b
}

// DecodeEntries decodes EncodeEntries's output. Values are copied.
func DecodeEntries(b []byte) ([]KeyEntry, error) {
	d := decoder{b: b}
	n := d.uvarint("entry count")
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("entry count")
	}
	if d.err != nil {
		return nil, d.err
	}
	out := make([]KeyEntry, 0, n)
	for range n {
		e := d.entry()
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, e)
	}
	return out, d.done()
}

// EncodeStrings encodes a list of strings (keys, a pattern).
func EncodeStrings(ss []string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(ss)))
	for _, s := range ss {
		b = appendBytes(b, []byte(s))
	}
	return b
}

// DecodeStrings decodes EncodeStrings's output.
func DecodeStrings(b []byte) ([]string, error) {
	d := decoder{b: b}
	n := d.uvarint("count")
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("count")
	}
	if d.err != nil {
		return nil, d.err
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, string(d.bytes("string")))
	}
	return out, d.done()
}

// EncodeBatch encodes a list of byte strings (a batch of encoded Exec
// requests, or their replies).
func EncodeBatch(bs [][]byte) []byte {
	b := binary.AppendUvarint(nil, uint64(len(bs)))
	for _, x := range bs {
		b = appendBytes(b, x)
	}
	return b
}

// DecodeBatch decodes EncodeBatch's output. The items alias b.
func DecodeBatch(b []byte) ([][]byte, error) {
	return DecodeBatchInto(b, nil)
}

// DecodeBatchInto is DecodeBatch appending the items to items[:0]
// (scratch space the caller reuses).
func DecodeBatchInto(b []byte, items [][]byte) ([][]byte, error) {
	d := decoder{b: b}
	n := d.uvarint("count")
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("count")
	}
	if d.err != nil {
		return nil, d.err
	}
	out := items[:0]
	if uint64(cap(out)) < n {
		out = make([][]byte, 0, n)
	}
	for range n {
		out = append(out, d.bytes("item"))
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}

// uvarintLen is the length of v's uvarint encoding.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// AppendExecBatch appends a batch of forwarded commands, the same bytes
// as EncodeBatch of each command's EncodeExec, without building them
// one by one.
func AppendExecBatch(dst []byte, proto int, cmds [][][]byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(cmds)))
	return AppendExecItems(dst, proto, cmds)
}

// AppendExecItems appends the items of AppendExecBatch's output (each
// command's EncodeExec with its length) without their count: a batch
// of several callers' commands is the uvarint count of all of them,
// then AppendExecItems of each caller's.
func AppendExecItems(dst []byte, proto int, cmds [][][]byte) []byte {
	for _, args := range cmds {
		size := uvarintLen(uint64(proto)) + uvarintLen(uint64(len(args)))
		for _, a := range args {
			size += uvarintLen(uint64(len(a))) + len(a)
		}
		dst = binary.AppendUvarint(dst, uint64(size))
		dst = binary.AppendUvarint(dst, uint64(proto))
		dst = binary.AppendUvarint(dst, uint64(len(args)))
		for _, a := range args {
			dst = appendBytes(dst, a)
		}
	}
	return dst
}

// AppendReplyBatch appends replies held back to back in buf (reply i
// ends at ends[i]) in EncodeBatch's format.
func AppendReplyBatch(dst, buf []byte, ends []int) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ends)))
	start := 0
	for _, end := range ends {
		dst = appendBytes(dst, buf[start:end])
		start = end
	}
	return dst
}

// ReadAnswer is one key's answer to a multi-key read: its entry as
// stored (tombstones and expired values included), or Found false when
// the member has none.
type ReadAnswer struct {
	Found bool
	Entry store.Entry
}

// AppendReadAnswer appends one key's answer as EncodeReadAnswers encodes
// each of its answers: a uvarint 0 (none), or 1 and the entry (without
// its key). EncodeReadAnswers's output is the count as a uvarint, then
// AppendReadAnswer of each, in the order of the keys asked.
func AppendReadAnswer(b []byte, a ReadAnswer) []byte {
	if !a.Found {
		return append(b, 0)
	}
	return AppendEntry(append(b, 1), "", a.Entry)
}

// EncodeReadAnswers encodes the answers to a multi-key read, one per
// key asked (or per key of a prefix of them), in the keys' order.
func EncodeReadAnswers(as []ReadAnswer) []byte {
	size := binary.MaxVarintLen64
	for _, a := range as {
		size += 1 + len(a.Entry.Value) + EntryOverhead
	}
	b := binary.AppendUvarint(make([]byte, 0, size), uint64(len(as)))
	for _, a := range as {
		b = AppendReadAnswer(b, a)
	}
	return b
}

// DecodeReadAnswers decodes EncodeReadAnswers's output. Values are
// copied.
func DecodeReadAnswers(b []byte) ([]ReadAnswer, error) {
	d := decoder{b: b}
	n := d.uvarint("answer count")
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("answer count")
	}
	if d.err != nil {
		return nil, d.err
	}
	out := make([]ReadAnswer, 0, n)
	for range n {
		switch d.uvarint("answer flag") {
		case 0:
			out = append(out, ReadAnswer{})
		case 1:
			e := d.entry()
			if d.err == nil && e.Key != "" {
				d.fail("answer key")
			}
			out = append(out, ReadAnswer{Found: true, Entry: e.Entry})
		default:
			d.fail("answer flag")
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	return out, d.done()
}
