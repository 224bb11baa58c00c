package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/monitoring"
)

// userPrefix marks the agent's user events among the node's broadcasts
// (cluster/kv and cluster/query broadcast too, under prefixes of their own).
var userPrefix = []byte("\x00lga/event\x01")

// Event kinds, as in Event.Type, handler filters and LIBGOSSIP_EVENT.
const (
	KindJoin   = "member-join"
	KindLeave  = "member-leave"
	KindFailed = "member-failed"
	KindUpdate = "member-update"
	KindUser   = "user"
	KindLog    = "log"
)

// Member is a member as the HTTP API shows it.
type Member struct {
	Name        string            `json:"name"`
	Addr        string            `json:"addr"`
	Status      string            `json:"status"`
	Incarnation uint64            `json:"incarnation"`
	Tags        map[string]string `json:"tags"`
}

// Event is one entry of the event stream and of a handler's stdin.
type Event struct {
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Member  *Member   `json:"member,omitempty"`
	Name    string    `json:"name,omitempty"`    // user event name
	Payload string    `json:"payload,omitempty"` // user event payload
	From    string    `json:"from,omitempty"`    // user event sender
	Origin  string    `json:"origin,omitempty"`  // local or gossip
	Level   string    `json:"level,omitempty"`   // log records
	Message string    `json:"message,omitempty"` // log records
}

type userEvent struct {
	Name    string `json:"name"`
	Payload string `json:"payload"`
	From    string `json:"from"`
}

func encodeUserEvent(u userEvent) []byte {
	b, _ := json.Marshal(u)
	return append(bytes.Clone(userPrefix), b...)
}

// decodeUserEvent reports whether p is an agent user event and decodes it.
func decodeUserEvent(p []byte) (userEvent, bool) {
	var u userEvent
	rest, ok := bytes.CutPrefix(p, userPrefix)
	if !ok || json.Unmarshal(rest, &u) != nil || u.Name == "" {
		return u, false
	}
	return u, true
}

// memberOf converts a view; Tags leave out the cluster services' keys.
func memberOf(v gossip.NodeView) Member {
	t := maps.Clone(v.Meta)
	if t == nil {
		t = map[string]string{}
	}
	maps.DeleteFunc(t, func(k, _ string) bool { return reservedTag(k) })
	return Member{Name: v.ID, Addr: v.Addr, Status: monitoring.StateName(v.State), Incarnation: v.Incarnation, Tags: t}
}

// convert maps a node event to the agent's event; ok is false for events
// the agent does not report (suspect, refuted, other services' broadcasts).
func convert(ev gossip.Event) (Event, bool) {
	e := Event{Time: ev.Time, Origin: originName(ev.Origin)}
	m := memberOf(ev.Member)
	switch ev.Type {
	case gossip.EventJoin, gossip.EventAlive:
		e.Type = KindJoin
	case gossip.EventLeft:
		e.Type = KindLeave
	case gossip.EventFailed:
		e.Type = KindFailed
	case gossip.EventUpdate:
		e.Type = KindUpdate
	case gossip.EventUser:
		u, ok := decodeUserEvent(ev.Payload)
		if !ok {
			return e, false
		}
		e.Type, e.Name, e.Payload, e.From = KindUser, u.Name, u.Payload, u.From
		return e, true
	default:
		return e, false
	}
	e.Member = &m
	return e, true
}

func originName(o gossip.EventOrigin) string {
	if o == gossip.OriginLocal {
		return "local"
	}
	return "gossip"
}

func validEventFilter(f string) bool {
	switch f {
	case KindJoin, KindLeave, KindFailed, KindUpdate, KindUser:
		return true
	}
	n, ok := strings.CutPrefix(f, "user:")
	return ok && n != ""
}

// matches reports whether a handler or stream filter list selects e; an
// empty list selects every member and user event.
func matches(filters []string, e Event) bool {
	if len(filters) == 0 {
		return e.Type != KindLog
	}
	for _, f := range filters {
		if f == e.Type || (e.Type == KindUser && f == "user:"+e.Name) {
			return true
		}
	}
	return false
}

// broker fans events out to stream subscribers without blocking: a
// subscriber whose buffer is full loses the event (counted).
type broker struct {
	mu      sync.Mutex
	subs    map[chan Event]struct{}
	dropped uint64
}

func newBroker() *broker { return &broker{subs: map[chan Event]struct{}{}} }

func (b *broker) subscribe(n int) chan Event {
	ch := make(chan Event, n)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch
}

func (b *broker) unsubscribe(ch chan Event) {
	b.mu.Lock()
	delete(b.subs, ch)
	b.mu.Unlock()
}

func (b *broker) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
			b.dropped++
		}
	}
}

func (b *broker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

func (e Event) String() string {
	switch {
	case e.Type == KindLog:
		return fmt.Sprintf("%s log %s %s", e.Time.Format(time.RFC3339), e.Level, e.Message)
	case e.Type == KindUser:
		return fmt.Sprintf("%s user %s from=%s payload=%q", e.Time.Format(time.RFC3339), e.Name, e.From, e.Payload)
	case e.Member != nil:
		return fmt.Sprintf("%s %s %s %s", e.Time.Format(time.RFC3339), e.Type, e.Member.Name, e.Member.Addr)
	}
	return e.Type
}
