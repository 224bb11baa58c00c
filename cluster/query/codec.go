package query

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Request is a query as a responder sees it.
type Request struct {
	// ID identifies the query at its origin.
	ID uint64
	// Name selects the handler.
	Name string
	// Payload is the query's argument, at most MaxPayload bytes.
	Payload []byte
	// From is the id of the member that sent the query.
	From string
	// Filter selects the members that answer.
	Filter Filter
	// Timeout is how long the origin waits for responses.
	Timeout time.Duration
	// Ack asks responders to acknowledge receipt before answering.
	Ack bool

	replyTo string
	// traceparent and tracestate carry the origin's span context (W3C
	// trace context), empty when it has none.
	traceparent, tracestate string
}

// Filter selects the members a query reaches. A member matches when its
// id is in IDs (or IDs is empty) and its metadata has every key of Tags
// with the same value.
type Filter struct {
	IDs  []string
	Tags map[string]string
}

// Matches reports whether a member with id and meta passes f.
func (f Filter) Matches(id string, meta map[string]string) bool {
	if len(f.IDs) > 0 {
		found := false
		for _, x := range f.IDs {
			if x == id {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for k, v := range f.Tags {
		if meta[k] != v {
			return false
		}
	}
	return true
}

// Bounds of the encodings.
const (
	// MaxPayload is the largest query payload, in bytes.
	MaxPayload = 16 << 10
	// MaxResponse is the largest response, in bytes.
	MaxResponse = 1 << 20
	maxName     = 255
	maxFilter   = 255 // ids and tags each
)

const codecVersion = 1

type enc struct{ b []byte }

func (e *enc) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) str(s string) { e.b = binary.AppendUvarint(e.b, uint64(len(s))); e.b = append(e.b, s...) }

type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

func (d *dec) u64() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *dec) byte1() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) raw(what string, max int) []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || (k > 1 && d.b[k-1] == 0) || n > uint64(max) || n > uint64(len(d.b)-k) {
		d.fail(what)
		return nil
	}
	p := d.b[k : k+int(n) : k+int(n)]
	d.b = d.b[k+int(n):]
	return p
}

func (d *dec) str(what string, max int) string { return string(d.raw(what, max)) }

// encodeRequest is the broadcast form of a query.
func encodeRequest(r Request) []byte {
	e := enc{b: []byte{codecVersion}}
	e.u64(r.ID)
	e.str(r.Name)
	e.str(r.From)
	e.str(r.replyTo)
	e.u64(uint64(r.Timeout))
	flags := byte(0)
	if r.Ack {
		flags = 1
	}
	if r.traceparent != "" {
		flags |= flagTrace
	}
	e.b = append(e.b, flags, byte(len(r.Filter.IDs)))
	for _, id := range r.Filter.IDs {
		e.str(id)
	}
	e.b = append(e.b, byte(len(r.Filter.Tags)))
	for k, v := range r.Filter.Tags {
		e.str(k)
		e.str(v)
	}
	e.str(string(r.Payload))
	if r.traceparent != "" {
		e.str(r.traceparent)
		e.str(r.tracestate)
	}
	return e.b
}

// flagTrace marks a request whose payload is followed by the origin's
// traceparent and tracestate. Requests without it (from members before
// tracing) decode as before.
const flagTrace = 2

// decodeRequest decodes a broadcast query; errors wrap ErrMalformed.
func decodeRequest(p []byte) (Request, error) {
	d := dec{b: p}
	if d.byte1() != codecVersion {
		d.fail("version")
	}
	r := Request{ID: d.u64(), Name: d.str("name", maxName), From: d.str("from", maxName)}
	r.replyTo = d.str("reply address", maxName)
	r.Timeout = time.Duration(d.u64())
	flags := d.byte1()
	r.Ack = flags&1 == 1
	for n := int(d.byte1()); n > 0 && d.err == nil; n-- {
		r.Filter.IDs = append(r.Filter.IDs, d.str("id", maxName))
	}
	if n := int(d.byte1()); n > 0 && d.err == nil {
		r.Filter.Tags = map[string]string{}
		for ; n > 0 && d.err == nil; n-- {
			k := d.str("tag", maxName)
			r.Filter.Tags[k] = d.str("tag value", maxName)
		}
	}
	if pl := d.raw("payload", MaxPayload); len(pl) > 0 {
		r.Payload = pl
	}
	if flags&flagTrace != 0 {
		r.traceparent = d.str("traceparent", maxTraceField)
		r.tracestate = d.str("tracestate", maxTraceField)
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	if d.err == nil && (r.Name == "" || r.From == "" || r.replyTo == "" || r.Timeout <= 0 || flags > 1|flagTrace ||
		(flags&flagTrace != 0 && r.traceparent == "")) {
		d.fail("missing field")
	}
	if d.err != nil {
		return Request{}, d.err
	}
	return r, nil
}

// reply is an ack or a response sent back to the origin.
type reply struct {
	ID      uint64
	From    string
	Ack     bool
	Err     string
	Payload []byte
}

func encodeReply(r reply) []byte {
	e := enc{b: []byte{codecVersion}}
	e.u64(r.ID)
	e.str(r.From)
	flags := byte(0)
	if r.Ack {
		flags = 1
	}
	e.b = append(e.b, flags)
	e.str(r.Err)
	e.str(string(r.Payload))
	return e.b
}

func decodeReply(p []byte) (reply, error) {
	d := dec{b: p}
	if d.byte1() != codecVersion {
		d.fail("version")
	}
	r := reply{ID: d.u64(), From: d.str("from", maxName)}
	flags := d.byte1()
	r.Ack = flags == 1
	r.Err = d.str("error", 1024)
	if pl := d.raw("response", MaxResponse); len(pl) > 0 {
		r.Payload = pl
	}
	if d.err == nil && (len(d.b) > 0 || flags > 1 || r.From == "") {
		d.fail("bad reply")
	}
	if d.err != nil {
		return reply{}, d.err
	}
	return r, nil
}
