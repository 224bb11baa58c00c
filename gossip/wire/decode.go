package wire

import (
	"encoding/binary"
	"fmt"
)

// Decoder decodes packets. The zero value is ready to use and safe for
// concurrent use when Intern is nil or itself safe.
type Decoder struct {
	// Intern, if set, turns decoded ids, addresses and metadata into
	// strings. Many cores in one process (the simulator) set it to share
	// identical strings. It must return a string equal to its argument and
	// must not retain the slice. Default: a plain conversion.
	Intern func([]byte) string
}

// DecodePacket decodes a packet with the zero Decoder.
func DecodePacket(b []byte) ([]Message, error) {
	var d Decoder
	return d.DecodePacket(b)
}

// DecodePacket decodes every message of packet b. It returns an error
// wrapping ErrVersion or ErrMalformed if any part of b is invalid, in which
// case no message is returned. The returned messages do not alias b.
func (d *Decoder) DecodePacket(b []byte) ([]Message, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty packet", ErrMalformed)
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w: %d (want %d)", ErrVersion, b[0], Version)
	}
	r := reader{b: b[1:], d: d}
	if len(r.b) == 0 {
		return nil, fmt.Errorf("%w: packet holds no message", ErrMalformed)
	}
	// Every framed message takes at least two bytes, which bounds the slice.
	msgs := make([]Message, 0, min(len(r.b)/2, 64))
	for len(r.b) > 0 {
		m, err := r.message()
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

type reader struct {
	b   []byte
	d   *Decoder
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	r.b = nil
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint for %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u32(what string) uint32 {
	v := r.uvarint(what)
	if v > 1<<32-1 {
		r.fail("%s overflows 32 bits", what)
		return 0
	}
	return uint32(v)
}

// u64 reads eight little-endian bytes.
func (r *reader) u64(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("short %s", what)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte1(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("missing %s", what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) flag(what string) bool {
	c := r.byte1(what)
	if c > 1 {
		r.fail("%s flag is %d", what, c)
	}
	return c == 1
}

func (r *reader) bytes(what string, max int) []byte {
	if r.err != nil {
		return nil
	}
	n, c := binary.Uvarint(r.b)
	if c <= 0 {
		r.fail("bad varint for %s length", what)
		return nil
	}
	r.b = r.b[c:]
	if n > uint64(max) {
		r.fail("%s is %d bytes, limit %d", what, n, max)
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("%s truncated", what)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) str(what string, max int) string {
	v := r.bytes(what, max)
	if r.err != nil || len(v) == 0 {
		return ""
	}
	if r.d.Intern != nil {
		return r.d.Intern(v)
	}
	return string(v)
}

func (r *reader) meta() string {
	v := r.bytes("metadata", MaxMetaSize)
	if r.err != nil || len(v) == 0 {
		return ""
	}
	if err := validateMeta(v); err != nil {
		r.fail("metadata: %v", err)
		return ""
	}
	if r.d.Intern != nil {
		return r.d.Intern(v)
	}
	return string(v)
}

func (r *reader) message() (Message, error) {
	t := Type(r.byte1("type"))
	body := r.bytes("body", len(r.b))
	if r.err != nil {
		return nil, r.err
	}
	rest := r.b
	r.b = body
	var m Message
	switch t {
	case TypePing:
		p := &Ping{Seq: r.u32("seq")}
		p.Source = r.str("source", MaxIDLen)
		p.Target = r.str("target", MaxIDLen)
		p.Reliable = r.flag("reliable")
		m = p
	case TypeAck:
		a := &Ack{Seq: r.u32("seq")}
		a.Reliable = r.flag("reliable")
		m = a
	case TypeNack:
		m = &Nack{Seq: r.u32("seq")}
	case TypePingReq:
		p := &PingReq{Seq: r.u32("seq")}
		p.Target = r.str("target", MaxIDLen)
		p.TargetAddr = r.str("target address", MaxAddrLen)
		m = p
	case TypeAlive:
		a := &Alive{Incarnation: r.uvarint("incarnation")}
		a.ID = r.str("id", MaxIDLen)
		a.Addr = r.str("address", MaxAddrLen)
		a.Meta = r.meta()
		m = a
	case TypeSuspect:
		s := &Suspect{Incarnation: r.uvarint("incarnation")}
		s.ID = r.str("id", MaxIDLen)
		s.From = r.str("from", MaxIDLen)
		m = s
	case TypeDead:
		s := &Dead{Incarnation: r.uvarint("incarnation")}
		s.ID = r.str("id", MaxIDLen)
		s.From = r.str("from", MaxIDLen)
		m = s
	case TypePushPull:
		m = r.pushPull()
	case TypeUser:
		u := &User{Origin: r.str("origin", MaxIDLen), Seq: r.uvarint("seq")}
		if p := r.bytes("payload", MaxPayloadSize); r.err == nil {
			u.Payload = append([]byte(nil), p...)
		}
		m = u
	case TypeDigest:
		d := &Digest{From: r.str("from", MaxIDLen), Count: r.uvarint("count")}
		d.Sum = r.u64("sum")
		m = d
	default:
		r.fail("unknown message type %d", uint8(t))
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes in %s body", len(r.b), t)
	}
	if r.err != nil {
		return nil, r.err
	}
	r.b = rest
	return m, nil
}

func (r *reader) pushPull() *PushPull {
	flags := r.byte1("flags")
	if flags > 3 {
		r.fail("push-pull flags %#x", flags)
	}
	p := &PushPull{Join: flags&1 != 0, Reply: flags&2 != 0}
	p.From = r.str("from", MaxIDLen)
	n := r.uvarint("member count")
	// A member record takes at least five bytes.
	if n > uint64(len(r.b)/5) {
		r.fail("member count %d exceeds body", n)
		return nil
	}
	p.Members = make([]MemberState, n)
	for i := range p.Members {
		s := &p.Members[i]
		s.ID = r.str("id", MaxIDLen)
		s.Addr = r.str("address", MaxAddrLen)
		s.State = State(r.byte1("state"))
		if s.State > StateLeft {
			r.fail("state %d", s.State)
		}
		s.Incarnation = r.uvarint("incarnation")
		s.Meta = r.meta()
		if r.err != nil {
			return nil
		}
	}
	return p
}
