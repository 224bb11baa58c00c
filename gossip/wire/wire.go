package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Version is the wire format version written as the first byte of every
// packet. A decoder rejects any other version with ErrVersion.
const Version byte = 1

// Bounds enforced by the encoder and the decoder.
const (
	// MaxIDLen is the longest member id, in bytes.
	MaxIDLen = 255
	// MaxAddrLen is the longest member address, in bytes.
	MaxAddrLen = 255
	// MaxMetaSize is the hard upper bound on encoded metadata, in bytes.
	// The core's configurable limit (default 1024) must not exceed it.
	MaxMetaSize = 16 << 10
	// MaxPayloadSize is the longest user broadcast payload, in bytes.
	MaxPayloadSize = 64 << 10
)

// Errors returned by the decoder and encoder. Callers test them with
// errors.Is; the returned error carries detail in its text.
var (
	// ErrMalformed reports bytes that are not a valid packet or message.
	ErrMalformed = errors.New("wire: malformed input")
	// ErrVersion reports a packet with an unknown version byte.
	ErrVersion = errors.New("wire: unsupported version")
	// ErrTooLarge reports a value that exceeds one of the package's bounds.
	ErrTooLarge = errors.New("wire: value too large")
)

// Type identifies a message kind on the wire.
type Type uint8

// Message types. Values are part of the wire format and never reused.
const (
	TypePing     Type = 1
	TypeAck      Type = 2
	TypeNack     Type = 3
	TypePingReq  Type = 4
	TypeAlive    Type = 5
	TypeSuspect  Type = 6
	TypeDead     Type = 7
	TypePushPull Type = 8
	TypeUser     Type = 9
	TypeDigest   Type = 10

	// MaxType is the highest message type.
	MaxType = TypeDigest
)

var typeNames = [...]string{"", "ping", "ack", "nack", "ping-req", "alive", "suspect", "dead", "push-pull", "user", "digest"}

// String returns the lower-case name of t.
func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// State is a member's liveness as carried in full-state exchanges.
type State uint8

// Member states. Values are part of the wire format.
const (
	StateAlive   State = 0
	StateSuspect State = 1
	StateDead    State = 2
	StateLeft    State = 3
)

var stateNames = [...]string{"alive", "suspect", "dead", "left"}

// String returns the lower-case name of s.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Message is one protocol message. The set of implementations is closed:
// the pointer types of this package (*Ping, *Ack, ...).
type Message interface {
	// Type returns the message's wire type.
	Type() Type
	bodySize() int
	appendBody(dst []byte) []byte
}

// Ping asks Target to acknowledge sequence number Seq. Reliable is set when
// the ping travels over a stream, and asks for the ack to come back the same
// way.
type Ping struct {
	Seq      uint32
	Source   string // id of the sender
	Target   string // id the sender believes it is pinging
	Reliable bool
}

// Ack acknowledges the ping with sequence number Seq.
type Ack struct {
	Seq      uint32
	Reliable bool
}

// Nack tells a ping-req requester that the relay got no ack from the target
// in time (Lifeguard). It carries the requester's sequence number.
type Nack struct {
	Seq uint32
}

// PingReq asks the receiver to ping Target at TargetAddr and relay the ack
// (or a nack) back with sequence number Seq.
type PingReq struct {
	Seq        uint32
	Target     string
	TargetAddr string
}

// Alive announces member ID at Addr with the given incarnation and encoded
// metadata (see EncodeMeta).
type Alive struct {
	Incarnation uint64
	ID          string
	Addr        string
	Meta        string
}

// Suspect says From suspects member ID at the given incarnation.
type Suspect struct {
	Incarnation uint64
	ID          string
	From        string
}

// Dead says From declared member ID dead at the given incarnation. When
// From equals ID the member left gracefully.
type Dead struct {
	Incarnation uint64
	ID          string
	From        string
}

// MemberState is one member's record in a full-state exchange.
type MemberState struct {
	ID          string
	Addr        string
	State       State
	Incarnation uint64
	Meta        string
}

// PushPull carries the sender's full membership. Join marks the first
// exchange of a joining member; Reply marks an answer, which is not
// answered again.
type PushPull struct {
	Join    bool
	Reply   bool
	From    string
	Members []MemberState
}

// Digest summarizes the sender's membership table, its own record
// included, without carrying it: Count records whose hashes add up to Sum
// (the core defines the hash). A receiver whose table gives another
// summary starts a full-state exchange with From; one whose table gives
// the same has nothing to exchange.
type Digest struct {
	From  string
	Count uint64
	Sum   uint64
}

// User is an application broadcast, identified by its origin and a
// sequence number the origin assigns. The core numbers a member's
// broadcasts from epoch<<32 + 1, where the epoch is the low 32 bits of the
// incarnation it started at, so that a restarted member's numbers continue
// above its earlier life's; receivers drop a number they have seen.
type User struct {
	Origin  string
	Seq     uint64
	Payload []byte
}

// Type implements Message.
func (*Ping) Type() Type { return TypePing }

// Type implements Message.
func (*Ack) Type() Type { return TypeAck }

// Type implements Message.
func (*Nack) Type() Type { return TypeNack }

// Type implements Message.
func (*PingReq) Type() Type { return TypePingReq }

// Type implements Message.
func (*Alive) Type() Type { return TypeAlive }

// Type implements Message.
func (*Suspect) Type() Type { return TypeSuspect }

// Type implements Message.
func (*Dead) Type() Type { return TypeDead }

// Type implements Message.
func (*PushPull) Type() Type { return TypePushPull }

// Type implements Message.
func (*User) Type() Type { return TypeUser }

// Type implements Message.
func (*Digest) Type() Type { return TypeDigest }

func uvlen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }
func slen(s string) int  { return uvlen(uint64(len(s))) + len(s) }
func blen(b []byte) int  { return uvlen(uint64(len(b))) + len(b) }
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func (m *Ping) bodySize() int {
	return uvlen(uint64(m.Seq)) + slen(m.Source) + slen(m.Target) + 1
}
func (m *Ping) appendBody(d []byte) []byte {
	d = binary.AppendUvarint(d, uint64(m.Seq))
	d = appendStr(d, m.Source)
	d = appendStr(d, m.Target)
	return append(d, byte(b2u(m.Reliable)))
}

func (m *Ack) bodySize() int { return uvlen(uint64(m.Seq)) + 1 }
func (m *Ack) appendBody(d []byte) []byte {
	d = binary.AppendUvarint(d, uint64(m.Seq))
	return append(d, byte(b2u(m.Reliable)))
}

func (m *Nack) bodySize() int { return uvlen(uint64(m.Seq)) }
func (m *Nack) appendBody(d []byte) []byte {
	return binary.AppendUvarint(d, uint64(m.Seq))
}

func (m *PingReq) bodySize() int {
	return uvlen(uint64(m.Seq)) + slen(m.Target) + slen(m.TargetAddr)
}
func (m *PingReq) appendBody(d []byte) []byte {
	d = binary.AppendUvarint(d, uint64(m.Seq))
	d = appendStr(d, m.Target)
	return appendStr(d, m.TargetAddr)
}

func (m *Alive) bodySize() int {
	return uvlen(m.Incarnation) + slen(m.ID) + slen(m.Addr) + slen(m.Meta)
}
func (m *Alive) appendBody(d []byte) []byte {
	d = binary.AppendUvarint(d, m.Incarnation)
	d = appendStr(d, m.ID)
	d = appendStr(d, m.Addr)
	return appendStr(d, m.Meta)
}

func (m *Suspect) bodySize() int { return uvlen(m.Incarnation) + slen(m.ID) + slen(m.From) }
func (m *Suspect) appendBody(d []byte) []byte {
	d = binary.AppendUvarint(d, m.Incarnation)
	d = appendStr(d, m.ID)
	return appendStr(d, m.From)
}

func (m *Dead) bodySize() int { return uvlen(m.Incarnation) + slen(m.ID) + slen(m.From) }
func (m *Dead) appendBody(d []byte) []byte {
	d = binary.AppendUvarint(d, m.Incarnation)
	d = appendStr(d, m.ID)
	return appendStr(d, m.From)
}

func (s *MemberState) size() int {
	return slen(s.ID) + slen(s.Addr) + 1 + uvlen(s.Incarnation) + slen(s.Meta)
}

func (m *PushPull) bodySize() int {
	n := 1 + slen(m.From) + uvlen(uint64(len(m.Members)))
	for i := range m.Members {
		n += m.Members[i].size()
	}
	return n
}
func (m *PushPull) appendBody(d []byte) []byte {
	d = append(d, byte(b2u(m.Join)|b2u(m.Reply)<<1))
	d = appendStr(d, m.From)
	d = binary.AppendUvarint(d, uint64(len(m.Members)))
	for i := range m.Members {
		s := &m.Members[i]
		d = appendStr(d, s.ID)
		d = appendStr(d, s.Addr)
		d = append(d, byte(s.State))
		d = binary.AppendUvarint(d, s.Incarnation)
		d = appendStr(d, s.Meta)
	}
	return d
}

func (m *Digest) bodySize() int {
	return slen(m.From) + uvlen(m.Count) + 8
}
func (m *Digest) appendBody(d []byte) []byte {
	d = appendStr(d, m.From)
	d = binary.AppendUvarint(d, m.Count)
	return binary.LittleEndian.AppendUint64(d, m.Sum)
}

func (m *User) bodySize() int {
	return slen(m.Origin) + uvlen(m.Seq) + blen(m.Payload)
}
func (m *User) appendBody(d []byte) []byte {
	d = appendStr(d, m.Origin)
	d = binary.AppendUvarint(d, m.Seq)
	d = binary.AppendUvarint(d, uint64(len(m.Payload)))
	return append(d, m.Payload...)
}

// Size returns the number of bytes AppendMessage adds for m.
func Size(m Message) int {
	b := m.bodySize()
	return 1 + uvlen(uint64(b)) + b
}

// AppendHeader appends the packet header (the version byte) to dst.
func AppendHeader(dst []byte) []byte { return append(dst, Version) }

// HeaderSize is the number of bytes AppendHeader adds.
const HeaderSize = 1

// AppendMessage appends one framed message to dst, which must already hold a
// packet header. It does not check bounds; use Validate for messages built
// from untrusted values.
func AppendMessage(dst []byte, m Message) []byte {
	dst = append(dst, byte(m.Type()))
	dst = binary.AppendUvarint(dst, uint64(m.bodySize()))
	return m.appendBody(dst)
}

// Encode returns a packet holding the given messages.
func Encode(msgs ...Message) []byte {
	n := HeaderSize
	for _, m := range msgs {
		n += Size(m)
	}
	b := make([]byte, 0, n)
	b = AppendHeader(b)
	for _, m := range msgs {
		b = AppendMessage(b, m)
	}
	return b
}

// Validate reports whether m respects the package's bounds, so that what is
// encoded can be decoded again.
func Validate(m Message) error {
	chk := func(what, s string, max int) error {
		if len(s) > max {
			return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, what, len(s), max)
		}
		return nil
	}
	switch m := m.(type) {
	case *Ping:
		return errors.Join(chk("source", m.Source, MaxIDLen), chk("target", m.Target, MaxIDLen))
	case *PingReq:
		return errors.Join(chk("target", m.Target, MaxIDLen), chk("target address", m.TargetAddr, MaxAddrLen))
	case *Alive:
		err := errors.Join(chk("id", m.ID, MaxIDLen), chk("address", m.Addr, MaxAddrLen))
		if err != nil {
			return err
		}
		return ValidateMeta(m.Meta)
	case *Suspect:
		return errors.Join(chk("id", m.ID, MaxIDLen), chk("from", m.From, MaxIDLen))
	case *Dead:
		return errors.Join(chk("id", m.ID, MaxIDLen), chk("from", m.From, MaxIDLen))
	case *PushPull:
		if err := chk("from", m.From, MaxIDLen); err != nil {
			return err
		}
		for i := range m.Members {
			s := &m.Members[i]
			if err := errors.Join(chk("id", s.ID, MaxIDLen), chk("address", s.Addr, MaxAddrLen)); err != nil {
				return err
			}
			if s.State > StateLeft {
				return fmt.Errorf("%w: state %d", ErrMalformed, s.State)
			}
			if err := ValidateMeta(s.Meta); err != nil {
				return err
			}
		}
	case *Digest:
		return chk("from", m.From, MaxIDLen)
	case *User:
		if err := chk("origin", m.Origin, MaxIDLen); err != nil {
			return err
		}
		if len(m.Payload) > MaxPayloadSize {
			return fmt.Errorf("%w: payload is %d bytes, limit %d", ErrTooLarge, len(m.Payload), MaxPayloadSize)
		}
	}
	return nil
}
