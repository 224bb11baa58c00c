package json

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/libgossip/libgossip/gossip/wire"
)

// Version is the JSON format's version, written in every packet's "v".
const Version = 1

// MaxPacketSize is the largest input Decode accepts, in bytes.
const MaxPacketSize = 4 << 20

// Codec is the JSON codec. The zero value is ready to use and safe for
// concurrent use.
type Codec struct{}

// Name returns "json".
func (Codec) Name() string { return "json" }

type packet struct {
	V    *int  `json:"v"`
	Msgs []msg `json:"msgs"`
}

type member struct {
	ID          string            `json:"id"`
	Addr        string            `json:"addr,omitempty"`
	State       string            `json:"state"`
	Incarnation uint64            `json:"incarnation,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
}

type msg struct {
	Type        string            `json:"type"`
	Seq         uint64            `json:"seq,omitempty"`
	Incarnation uint64            `json:"incarnation,omitempty"`
	ID          string            `json:"id,omitempty"`
	Addr        string            `json:"addr,omitempty"`
	Source      string            `json:"source,omitempty"`
	Target      string            `json:"target,omitempty"`
	TargetAddr  string            `json:"target_addr,omitempty"`
	From        string            `json:"from,omitempty"`
	Origin      string            `json:"origin,omitempty"`
	Reliable    bool              `json:"reliable,omitempty"`
	Join        bool              `json:"join,omitempty"`
	Reply       bool              `json:"reply,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	Members     []member          `json:"members,omitempty"`
	Payload     []byte            `json:"payload,omitempty"`
	Count       uint64            `json:"count,omitempty"`
	Sum         uint64            `json:"sum,omitempty"`
}

var states = map[string]wire.State{"alive": wire.StateAlive, "suspect": wire.StateSuspect, "dead": wire.StateDead, "left": wire.StateLeft}

func meta(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	return wire.DecodeMeta(s)
}

// Encode encodes msgs as one JSON packet after checking wire's bounds.
func (Codec) Encode(msgs []wire.Message) ([]byte, error) {
	p := packet{V: new(int), Msgs: make([]msg, 0, len(msgs))}
	*p.V = Version
	for _, m := range msgs {
		if m == nil {
			return nil, fmt.Errorf("%w: nil message", wire.ErrMalformed)
		}
		if err := wire.Validate(m); err != nil {
			return nil, err
		}
		j := msg{Type: m.Type().String()}
		var err error
		switch m := m.(type) {
		case *wire.Ping:
			j.Seq, j.Source, j.Target, j.Reliable = uint64(m.Seq), m.Source, m.Target, m.Reliable
		case *wire.Ack:
			j.Seq, j.Reliable = uint64(m.Seq), m.Reliable
		case *wire.Nack:
			j.Seq = uint64(m.Seq)
		case *wire.PingReq:
			j.Seq, j.Target, j.TargetAddr = uint64(m.Seq), m.Target, m.TargetAddr
		case *wire.Alive:
			j.Incarnation, j.ID, j.Addr = m.Incarnation, m.ID, m.Addr
			j.Meta, err = meta(m.Meta)
		case *wire.Suspect:
			j.Incarnation, j.ID, j.From = m.Incarnation, m.ID, m.From
		case *wire.Dead:
			j.Incarnation, j.ID, j.From = m.Incarnation, m.ID, m.From
		case *wire.PushPull:
			j.Join, j.Reply, j.From = m.Join, m.Reply, m.From
			j.Members = make([]member, len(m.Members))
			for i, s := range m.Members {
				j.Members[i] = member{ID: s.ID, Addr: s.Addr, State: s.State.String(), Incarnation: s.Incarnation}
				if j.Members[i].Meta, err = meta(s.Meta); err != nil {
					break
				}
			}
		case *wire.User:
			j.Origin, j.Seq, j.Payload = m.Origin, m.Seq, m.Payload
		case *wire.Digest:
			j.From, j.Count, j.Sum = m.From, m.Count, m.Sum
		default:
			return nil, fmt.Errorf("%w: unknown message %T", wire.ErrMalformed, m)
		}
		if err != nil {
			return nil, err
		}
		if err := checkText(&j); err != nil {
			return nil, err
		}
		p.Msgs = append(p.Msgs, j)
	}
	return json.Marshal(p)
}

// checkText rejects strings JSON cannot carry unchanged.
func checkText(j *msg) error {
	strs := []string{j.ID, j.Addr, j.Source, j.Target, j.TargetAddr, j.From, j.Origin}
	for k, v := range j.Meta {
		strs = append(strs, k, v)
	}
	for _, m := range j.Members {
		strs = append(strs, m.ID, m.Addr)
		for k, v := range m.Meta {
			strs = append(strs, k, v)
		}
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%w: json carries only UTF-8 text, got %q", wire.ErrMalformed, s)
		}
	}
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: json: "+format, append([]any{wire.ErrMalformed}, args...)...)
}

// Decode decodes a JSON packet. It never panics; see the package doc for
// its errors.
func (Codec) Decode(b []byte) ([]wire.Message, error) {
	if len(b) > MaxPacketSize {
		return nil, fmt.Errorf("%w: json packet of %d bytes, limit %d", wire.ErrTooLarge, len(b), MaxPacketSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p packet
	if err := dec.Decode(&p); err != nil {
		return nil, malformed("%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed("trailing data")
	}
	if p.V == nil {
		return nil, malformed("missing version")
	}
	if *p.V != Version {
		return nil, fmt.Errorf("%w: json version %d (want %d)", wire.ErrVersion, *p.V, Version)
	}
	if len(p.Msgs) == 0 {
		return nil, malformed("packet holds no message")
	}
	out := make([]wire.Message, 0, len(p.Msgs))
	for i := range p.Msgs {
		m, err := decodeMsg(&p.Msgs[i])
		if err != nil {
			return nil, err
		}
		if err := wire.Validate(m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func seq32(j *msg) (uint32, error) {
	if j.Seq > 1<<32-1 {
		return 0, malformed("seq %d overflows 32 bits", j.Seq)
	}
	return uint32(j.Seq), nil
}

func encMeta(m map[string]string) (string, error) {
	s, err := wire.EncodeMeta(m, wire.MaxMetaSize)
	if err != nil {
		return "", err
	}
	return s, nil
}

// decodeMsg builds a message from j, rejecting fields its type lacks.
func decodeMsg(j *msg) (wire.Message, error) {
	var (
		m    wire.Message
		err  error
		used = map[string]bool{}
	)
	use := func(names ...string) {
		for _, n := range names {
			used[n] = true
		}
	}
	switch j.Type {
	case "ping":
		p := &wire.Ping{Source: j.Source, Target: j.Target, Reliable: j.Reliable}
		p.Seq, err = seq32(j)
		m = p
		use("seq", "source", "target", "reliable")
	case "ack":
		a := &wire.Ack{Reliable: j.Reliable}
		a.Seq, err = seq32(j)
		m = a
		use("seq", "reliable")
	case "nack":
		n := &wire.Nack{}
		n.Seq, err = seq32(j)
		m = n
		use("seq")
	case "ping-req":
		p := &wire.PingReq{Target: j.Target, TargetAddr: j.TargetAddr}
		p.Seq, err = seq32(j)
		m = p
		use("seq", "target", "target_addr")
	case "alive":
		a := &wire.Alive{Incarnation: j.Incarnation, ID: j.ID, Addr: j.Addr}
		a.Meta, err = encMeta(j.Meta)
		m = a
		use("incarnation", "id", "addr", "meta")
	case "suspect":
		m = &wire.Suspect{Incarnation: j.Incarnation, ID: j.ID, From: j.From}
		use("incarnation", "id", "from")
	case "dead":
		m = &wire.Dead{Incarnation: j.Incarnation, ID: j.ID, From: j.From}
		use("incarnation", "id", "from")
	case "push-pull":
		p := &wire.PushPull{Join: j.Join, Reply: j.Reply, From: j.From, Members: make([]wire.MemberState, len(j.Members))}
		for i, s := range j.Members {
			st, ok := states[s.State]
			if !ok {
				return nil, malformed("member state %q", s.State)
			}
			p.Members[i] = wire.MemberState{ID: s.ID, Addr: s.Addr, State: st, Incarnation: s.Incarnation}
			if p.Members[i].Meta, err = encMeta(s.Meta); err != nil {
				break
			}
		}
		m = p
		use("join", "reply", "from", "members")
	case "user":
		u := &wire.User{Origin: j.Origin, Seq: j.Seq, Payload: j.Payload}
		if len(u.Payload) == 0 {
			u.Payload = nil
		}
		m = u
		use("origin", "seq", "payload")
	case "digest":
		m = &wire.Digest{From: j.From, Count: j.Count, Sum: j.Sum}
		use("from", "count", "sum")
	default:
		return nil, malformed("unknown message type %q", j.Type)
	}
	if err != nil {
		return nil, err
	}
	for name, set := range map[string]bool{
		"seq": j.Seq != 0, "incarnation": j.Incarnation != 0, "id": j.ID != "", "addr": j.Addr != "",
		"source": j.Source != "", "target": j.Target != "", "target_addr": j.TargetAddr != "",
		"from": j.From != "", "origin": j.Origin != "", "reliable": j.Reliable, "join": j.Join,
		"reply": j.Reply, "meta": j.Meta != nil, "members": j.Members != nil, "payload": j.Payload != nil,
		"count": j.Count != 0, "sum": j.Sum != 0,
	} {
		if set && !used[name] {
			return nil, malformed("field %q in a %s message", name, j.Type)
		}
	}
	return m, nil
}
