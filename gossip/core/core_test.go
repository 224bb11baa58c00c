package core

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip/wire"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newCore(t *testing.T, id string) *Core {
	t.Helper()
	cfg := LANConfig()
	cfg.ID = id
	cfg.Addr = id + ":1"
	cfg.Rand = rand.NewPCG(1, 2)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Tick(t0)
	c.Ready()
	return c
}

func feed(t *testing.T, c *Core, now time.Time, from string, msgs ...wire.Message) Ready {
	t.Helper()
	if err := c.HandleMessage(now, from, wire.Encode(msgs...)); err != nil {
		t.Fatalf("HandleMessage: %v", err)
	}
	return c.Ready()
}

func types(evs []Event) []EventType {
	var out []EventType
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func alive(id string, inc uint64) *wire.Alive {
	return &wire.Alive{Incarnation: inc, ID: id, Addr: id + ":1"}
}

func TestMembershipRules(t *testing.T) {
	meta, _ := wire.EncodeMeta(map[string]string{"k": "v"}, 0)
	type step struct {
		msg       wire.Message
		want      []EventType
		wantState State
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"join then duplicate", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{alive("b", 1), nil, StateAlive},
		}},
		{"stale alive ignored", []step{
			{alive("b", 5), []EventType{EventJoin}, StateAlive},
			{alive("b", 4), nil, StateAlive},
		}},
		{"metadata update", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Alive{Incarnation: 2, ID: "b", Addr: "b:1", Meta: meta}, []EventType{EventUpdate}, StateAlive},
		}},
		{"same incarnation other address is a conflict", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Alive{Incarnation: 1, ID: "b", Addr: "elsewhere:1"}, []EventType{EventConflict}, StateAlive},
		}},
		{"restart at a new address", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Alive{Incarnation: 2, ID: "b", Addr: "new:1"}, []EventType{EventUpdate}, StateAlive},
		}},
		{"suspect then refuted", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Suspect{Incarnation: 1, ID: "b", From: "c"}, []EventType{EventSuspect}, StateSuspect},
			{alive("b", 1), nil, StateSuspect}, // same incarnation does not refute
			{alive("b", 2), []EventType{EventAlive}, StateAlive},
		}},
		{"stale suspect ignored", []step{
			{alive("b", 3), []EventType{EventJoin}, StateAlive},
			{&wire.Suspect{Incarnation: 2, ID: "b", From: "c"}, nil, StateAlive},
		}},
		{"dead then rejoin with higher incarnation", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Suspect{Incarnation: 1, ID: "b", From: "c"}, []EventType{EventSuspect}, StateSuspect},
			{&wire.Dead{Incarnation: 1, ID: "b", From: "d"}, []EventType{EventFailed}, StateDead},
			{alive("b", 1), nil, StateDead},
			{&wire.Suspect{Incarnation: 1, ID: "b", From: "c"}, nil, StateDead},
			{alive("b", 2), []EventType{EventJoin}, StateAlive},
		}},
		{"death of an unsuspected member is a suspicion", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Dead{Incarnation: 1, ID: "b", From: "c"}, []EventType{EventSuspect}, StateSuspect},
			// The same accuser's word again adds nothing; another's ends it.
			{&wire.Dead{Incarnation: 1, ID: "b", From: "c"}, nil, StateSuspect},
			{&wire.Dead{Incarnation: 1, ID: "b", From: "d"}, []EventType{EventFailed}, StateDead},
		}},
		{"leave", []step{
			{alive("b", 1), []EventType{EventJoin}, StateAlive},
			{&wire.Dead{Incarnation: 1, ID: "b", From: "b"}, []EventType{EventLeft}, StateLeft},
			{&wire.Dead{Incarnation: 1, ID: "b", From: "c"}, nil, StateLeft},
		}},
		{"unknown suspect and dead ignored", []step{
			{&wire.Suspect{Incarnation: 1, ID: "x", From: "c"}, nil, 255},
			{&wire.Dead{Incarnation: 1, ID: "x", From: "c"}, nil, 255},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, "a")
			for i, s := range tc.steps {
				rd := feed(t, c, t0, "z:1", s.msg)
				if got := types(rd.Events); !reflect.DeepEqual(got, s.want) {
					t.Errorf("step %d (%T): events %v, want %v", i, s.msg, got, s.want)
				}
				id := "b"
				if tc.name == "unknown suspect and dead ignored" {
					id = "x"
				}
				st, ok := c.StateOf(id)
				if !ok {
					st = 255
				}
				if st != s.wantState {
					t.Errorf("step %d (%T): state %v, want %v", i, s.msg, st, s.wantState)
				}
			}
		})
	}
}

func TestRefutation(t *testing.T) {
	cases := []struct {
		name string
		msg  wire.Message
		want bool
	}{
		{"suspect", &wire.Suspect{Incarnation: 1, ID: "a", From: "b"}, true},
		{"dead", &wire.Dead{Incarnation: 1, ID: "a", From: "b"}, true},
		{"previous life", &wire.Alive{Incarnation: 9, ID: "a", Addr: "a:1"}, true},
		{"old suspicion", &wire.Suspect{Incarnation: 0, ID: "a", From: "b"}, false},
		{"forged max suspicion", &wire.Suspect{Incarnation: math.MaxUint64, ID: "a", From: "b"}, false},
		{"forged max death", &wire.Dead{Incarnation: math.MaxUint64, ID: "a", From: "b"}, false},
		{"forged far alive", &wire.Alive{Incarnation: 1 << 62, ID: "a", Addr: "a:1"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, "a")
			before := c.LocalNode().Incarnation
			feed(t, c, t0, "b:1", tc.msg)
			after := c.LocalNode().Incarnation
			if (after > before) != tc.want {
				t.Fatalf("incarnation %d -> %d; refutation wanted: %v", before, after, tc.want)
			}
			if tc.want && c.Stats().Refutations != 1 {
				t.Errorf("Refutations = %d, want 1", c.Stats().Refutations)
			}
			if tc.want && c.updates.len() == 0 {
				t.Error("refutation not queued for gossip")
			}
		})
	}
}

// TestImplausibleIncarnation: updates about other members that jump more
// than MaxIncarnationJump above what is known are refused and counted.
func TestImplausibleIncarnation(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 5), &wire.Alive{Incarnation: math.MaxUint64, ID: "x", Addr: "x:1"})
	feed(t, c, t0, "b:1", &wire.Suspect{Incarnation: math.MaxUint64, ID: "b", From: "c"},
		&wire.Dead{Incarnation: 5 + 1<<41, ID: "b", From: "c"}, alive("b", 1<<50))
	if _, ok := c.Member("x"); ok {
		t.Error("member at incarnation 2^64-1 admitted")
	}
	if v, _ := c.Member("b"); v.State != StateAlive || v.Incarnation != 5 {
		t.Errorf("b is %v", v)
	}
	if got := c.Stats().IncarnationRefused; got != 4 {
		t.Errorf("IncarnationRefused = %d, want 4", got)
	}
	// A plausible jump (a restart with the wall clock) is accepted.
	feed(t, c, t0, "b:1", alive("b", 1_800_000_000))
	if v, _ := c.Member("b"); v.Incarnation != 1_800_000_000 {
		t.Errorf("b is %v after a plausible jump", v)
	}
}

// TestFirstIncarnationFromWallClock: a member not known yet may start at
// an incarnation taken from the wall clock in any unit (here nanoseconds,
// about 2^60), but not in the upper half of the range.
func TestFirstIncarnationFromWallClock(t *testing.T) {
	c := newCore(t, "a")
	const nanos = uint64(1_796_000_000_000_000_000)
	feed(t, c, t0, "b:1", alive("b", nanos), &wire.Alive{Incarnation: 1 << 63, ID: "x", Addr: "x:1"})
	if v, ok := c.Member("b"); !ok || v.Incarnation != nanos {
		t.Errorf("member first seen at incarnation %d: %v, %v", nanos, v, ok)
	}
	if _, ok := c.Member("x"); ok {
		t.Error("member first seen at incarnation 2^63 admitted")
	}
}

func TestConflictWithSelf(t *testing.T) {
	c := newCore(t, "a")
	rd := feed(t, c, t0, "x:1", &wire.Alive{Incarnation: 5, ID: "a", Addr: "impostor:1"})
	if got := types(rd.Events); !reflect.DeepEqual(got, []EventType{EventConflict}) {
		t.Fatalf("events %v, want conflict", got)
	}
	if rd.Events[0].Other.Addr != "impostor:1" || c.Stats().Conflicts != 1 {
		t.Errorf("conflict event %v, stats %+v", rd.Events[0], c.Stats())
	}
	if !strings.Contains(rd.Events[0].String(), "conflict") {
		t.Errorf("String() = %q", rd.Events[0].String())
	}
}

func TestMalformedChangesNothing(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1))
	before := c.Members()
	st := c.Stats()
	for _, in := range [][]byte{nil, {9}, {wire.Version}, append(wire.Encode(alive("c", 1)), 0xff)} {
		if err := c.HandleMessage(t0, "b:1", in); !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrVersion) {
			t.Errorf("HandleMessage(%x) = %v, want a wire error", in, err)
		}
	}
	if !reflect.DeepEqual(before, c.Members()) || c.HasReady() {
		t.Error("malformed input changed state or produced output")
	}
	if got := c.Stats().Malformed; got != st.Malformed+4 {
		t.Errorf("Malformed = %d, want %d", got, st.Malformed+4)
	}
}

func TestPingAndRelay(t *testing.T) {
	c := newCore(t, "a")
	rd := feed(t, c, t0, "b:1", &wire.Ping{Seq: 7, Source: "b", Target: "a"})
	if len(rd.Messages) != 1 || rd.Messages[0].To != "b:1" {
		t.Fatalf("ping answered with %v", rd.Messages)
	}
	msgs, _ := wire.DecodePacket(rd.Messages[0].Data)
	if ack, ok := msgs[0].(*wire.Ack); !ok || ack.Seq != 7 {
		t.Fatalf("reply %#v, want ack 7", msgs[0])
	}
	// Misdirected.
	feed(t, c, t0, "b:1", &wire.Ping{Seq: 8, Source: "b", Target: "zz"})
	if c.Stats().Misdirected != 1 {
		t.Error("misdirected ping not counted")
	}
	// Ping-req: a pings c for b, relays the ack.
	rd = feed(t, c, t0, "b:1", &wire.PingReq{Seq: 11, Target: "c", TargetAddr: "c:1"})
	if len(rd.Messages) != 1 || rd.Messages[0].To != "c:1" {
		t.Fatalf("ping-req produced %v", rd.Messages)
	}
	msgs, _ = wire.DecodePacket(rd.Messages[0].Data)
	relaySeq := msgs[0].(*wire.Ping).Seq
	rd = feed(t, c, t0, "c:1", &wire.Ack{Seq: relaySeq})
	msgs, _ = wire.DecodePacket(rd.Messages[0].Data)
	if ack, ok := msgs[0].(*wire.Ack); !ok || ack.Seq != 11 || rd.Messages[0].To != "b:1" {
		t.Fatalf("relayed %#v to %s, want ack 11 to b:1", msgs[0], rd.Messages[0].To)
	}
	// Ping-req with no answer: a nack after the timeout.
	feed(t, c, t0, "b:1", &wire.PingReq{Seq: 12, Target: "d", TargetAddr: "d:1"})
	c.Tick(t0.Add(time.Second))
	rd = c.Ready()
	found := false
	for _, o := range rd.Messages {
		ms, _ := wire.DecodePacket(o.Data)
		if n, ok := ms[0].(*wire.Nack); ok && n.Seq == 12 && o.To == "b:1" {
			found = true
		}
	}
	if !found {
		t.Errorf("no nack for an unanswered ping-req in %v", rd.Messages)
	}
	// Stray acks are counted.
	feed(t, c, t0, "b:1", &wire.Ack{Seq: 999}, &wire.Nack{Seq: 999})
	if c.Stats().UnknownAcks != 2 {
		t.Errorf("UnknownAcks = %d, want 2", c.Stats().UnknownAcks)
	}
}

func TestProbeFailureLeadsToSuspicion(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1))
	var now time.Time
	suspected := false
	for i := 0; i < 200 && !suspected; i++ {
		now = c.NextDeadline()
		c.Tick(now)
		for _, e := range c.Ready().Events {
			if e.Type == EventSuspect {
				suspected = true
			}
		}
	}
	if !suspected {
		t.Fatal("no suspicion although nobody answers")
	}
	st := c.Stats()
	if st.ProbesFailed == 0 || st.IndirectProbes == 0 {
		t.Errorf("stats %+v", st)
	}
	if st.Awareness == 0 {
		t.Error("local health did not worsen without nacks")
	}
	// Without answers every suspicion ends in a failure.
	failed := false
	for i := 0; i < 500 && !failed; i++ {
		now = c.NextDeadline()
		c.Tick(now)
		for _, e := range c.Ready().Events {
			if e.Type == EventFailed {
				failed = true
			}
		}
	}
	if !failed {
		t.Fatal("suspicion never became a failure")
	}
}

func TestSuspicionTimeoutShrinks(t *testing.T) {
	s := &suspicion{min: 2 * time.Second, max: 8 * time.Second, k: 3, from: []string{"a"}}
	prev := s.timeout()
	if prev != s.max {
		t.Fatalf("no confirmations: %v, want max %v", prev, s.max)
	}
	for _, f := range []string{"b", "c", "d"} {
		s.from = append(s.from, f)
		got := s.timeout()
		if got >= prev {
			t.Errorf("%d confirmations: %v, not below %v", len(s.from)-1, got, prev)
		}
		prev = got
	}
	if prev != s.min {
		t.Errorf("k confirmations: %v, want min %v", prev, s.min)
	}
	// Past k it shrinks on, to two thirds of the minimum at 5 (k = 3),
	// and no further.
	floor := s.min * 2 / 3
	for _, f := range []string{"e", "f", "g", "h", "i"} {
		s.from = append(s.from, f)
		got := s.timeout()
		if c := len(s.from) - 1; c <= 5 && got >= prev {
			t.Errorf("%d confirmations: %v, not below %v", c, got, prev)
		}
		if got < floor {
			t.Errorf("%d confirmations: %v, below two thirds of the minimum %v", len(s.from)-1, got, floor)
		}
		prev = got
	}
	if prev != floor {
		t.Errorf("%d confirmations: %v, want two thirds of the minimum %v", len(s.from)-1, prev, floor)
	}
}

func TestLeave(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1))
	if err := c.Leave(t0); err != nil {
		t.Fatal(err)
	}
	rd := c.Ready()
	if len(rd.Messages) == 0 {
		t.Fatal("leave sent nothing")
	}
	if c.LocalNode().State != StateLeft || c.NumLive() != 2 {
		t.Errorf("after leave: %v, live %d", c.LocalNode(), c.NumLive())
	}
	for name, err := range map[string]error{
		"SetMeta":   c.SetMeta(t0, nil),
		"Broadcast": c.Broadcast(t0, nil),
		"Join":      c.Join(t0, []string{"b:1"}),
		"Meet":      c.Meet(t0, NodeView{ID: "x", Addr: "x:1"}),
	} {
		if !errors.Is(err, ErrLeft) {
			t.Errorf("%s after Leave: %v, want ErrLeft", name, err)
		}
	}
	if err := c.Leave(t0); err != nil {
		t.Errorf("second Leave: %v", err)
	}
	// A leaving member does not refute.
	feed(t, c, t0, "b:1", &wire.Dead{Incarnation: 9, ID: "a", From: "b"})
	if c.Stats().Refutations != 0 {
		t.Error("a leaving member refuted")
	}
}

func TestReap(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1))
	feed(t, c, t0, "b:1", &wire.Dead{Incarnation: 1, ID: "b", From: "b"}, &wire.Suspect{Incarnation: 1, ID: "c", From: "x"},
		&wire.Dead{Incarnation: 1, ID: "c", From: "y"})
	c.Tick(t0.Add(c.cfg.TombstoneTimeout))
	if _, ok := c.Member("b"); ok {
		t.Error("left member not reaped after TombstoneTimeout")
	}
	if _, ok := c.Member("c"); !ok {
		t.Error("failed member reaped before ReconnectTimeout")
	}
	c.Tick(t0.Add(c.cfg.ReconnectTimeout))
	if _, ok := c.Member("c"); ok {
		t.Error("failed member not reaped after ReconnectTimeout")
	}
}

func TestMetaAndBroadcastLimits(t *testing.T) {
	c := newCore(t, "a")
	if err := c.SetMeta(t0, map[string]string{"k": strings.Repeat("v", 2000)}); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("SetMeta too large: %v", err)
	}
	inc := c.LocalNode().Incarnation
	if err := c.SetMeta(t0, map[string]string{"k": "v"}); err != nil || c.LocalNode().Incarnation != inc+1 {
		t.Errorf("SetMeta: %v, incarnation %d", err, c.LocalNode().Incarnation)
	}
	if err := c.SetMeta(t0, map[string]string{"k": "v"}); err != nil || c.LocalNode().Incarnation != inc+1 {
		t.Error("unchanged metadata bumped the incarnation")
	}
	if err := c.Broadcast(t0, make([]byte, wire.MaxPayloadSize+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("Broadcast too large: %v", err)
	}
	if err := c.Join(t0, nil); !errors.Is(err, ErrNoSeeds) {
		t.Errorf("Join with no seeds: %v", err)
	}
	if err := c.Meet(t0, NodeView{}); err == nil {
		t.Error("Meet with an empty view accepted")
	}
	if err := c.Meet(t0, NodeView{ID: "a", Addr: "a:1"}); err != nil {
		t.Errorf("Meet self: %v", err)
	}
}

func TestUserDedup(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1))
	send := func(seq uint64) int {
		rd := feed(t, c, t0, "b:1", &wire.User{Origin: "b", Seq: seq, Payload: []byte{byte(seq)}})
		return len(rd.Events)
	}
	for _, tc := range []struct {
		seq  uint64
		want int
	}{{1, 1}, {1, 0}, {3, 1}, {2, 1}, {2, 0}, {100, 1}, {3, 0}, {99, 1}, {99, 0}, {100, 0}} {
		if got := send(tc.seq); got != tc.want {
			t.Errorf("seq %d: %d events, want %d", tc.seq, got, tc.want)
		}
	}
	if c.Stats().UserDuplicates != 5 {
		t.Errorf("UserDuplicates = %d, want 5", c.Stats().UserDuplicates)
	}
	// Own broadcasts are not delivered back.
	if n := len(feed(t, c, t0, "b:1", &wire.User{Origin: "a", Seq: 1}).Events); n != 0 {
		t.Error("own broadcast delivered")
	}
}

func TestUserQueueBounded(t *testing.T) {
	cfg := LANConfig()
	cfg.ID, cfg.Addr, cfg.MaxUserQueue = "a", "a:1", 10
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ {
		if err := c.Broadcast(t0, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if st := c.Stats(); st.QueuedUser != 10 || st.UserDropped != 15 {
		t.Errorf("queued %d dropped %d, want 10 and 15", st.QueuedUser, st.UserDropped)
	}
}

// TestPacketShare checks the documented packet budget rule: a flood of user
// broadcasts cannot push membership updates out of packets, nor the reverse.
func TestPacketShare(t *testing.T) {
	c := newCore(t, "a")
	for i := 0; i < 200; i++ {
		_ = c.Broadcast(t0, make([]byte, 100))
	}
	for i := 0; i < 200; i++ {
		id := string(rune('A'+i%26)) + string(rune('a'+i/26))
		c.queueUpdate(id, alive(id, 1))
	}
	b := c.packet("", true)
	msgs, err := wire.DecodePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	var upd, usr int
	for _, m := range msgs {
		if m.Type() == wire.TypeUser {
			usr += wire.Size(m)
		} else {
			upd += wire.Size(m)
		}
	}
	if len(b) > c.cfg.PacketSize {
		t.Errorf("packet of %d bytes exceeds %d", len(b), c.cfg.PacketSize)
	}
	free := float64(c.cfg.PacketSize - wire.HeaderSize)
	if float64(usr+107) < c.cfg.UserShare*free || float64(upd) < (1-c.cfg.UserShare)*free-30 {
		t.Errorf("share: updates %d bytes, user %d bytes of %v", upd, usr, free)
	}
}

func TestConfig(t *testing.T) {
	for name, cfg := range map[string]Config{"lan": LANConfig(), "wan": WANConfig(), "local": LocalConfig()} {
		cfg.ID, cfg.Addr = "a", "a:1"
		if err := cfg.Validate(); err != nil {
			t.Errorf("preset %s invalid: %v", name, err)
		}
	}
	bad := []Config{
		{},
		{ID: strings.Repeat("x", 300), Addr: "a"},
		{ID: "a", Addr: strings.Repeat("x", 300)},
		{ID: "a", Addr: "a", ProbeTimeout: 2 * time.Second},
		{ID: "a", Addr: "a", GossipFanout: -1},
		{ID: "a", Addr: "a", PacketSize: 100},
		{ID: "a", Addr: "a", MaxMetaSize: wire.MaxMetaSize + 1},
		{ID: "a", Addr: "a", UserShare: 1.5},
		{ID: "a", Addr: "a", TombstoneTimeout: -time.Second},
		{ID: "a", Addr: "a", Meta: map[string]string{"": "x"}},
		{ID: "a", Addr: "a", MaxIncarnationJump: 1},
		{ID: "a", Addr: "a", MaxMembers: -1},
		{ID: "a", Addr: "a", MaxNewPerPacket: -1},
		{ID: "a", Addr: "a", MaxNewPerPushPull: -2},
	}
	for i, cfg := range bad {
		err := cfg.Validate()
		if !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: Validate = %v, want ErrConfig", i, err)
		}
		if _, err := New(cfg); err == nil {
			t.Errorf("case %d: New accepted an invalid config", i)
		}
	}
	// New copies: the caller's map and fields are untouched.
	meta := map[string]string{"k": "v"}
	cfg := Config{ID: "a", Addr: "a:1", Meta: meta}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	meta["k"] = "changed"
	if c.LocalNode().Meta["k"] != "v" || cfg.ProbeInterval != 0 {
		t.Error("New kept the caller's map or filled the caller's config")
	}
	if c.Config().ProbeInterval != time.Second {
		t.Errorf("default ProbeInterval = %v", c.Config().ProbeInterval)
	}
}

func TestStrings(t *testing.T) {
	if EventFailed.String() != "failed" || EventType(99).String() != "event(99)" {
		t.Error("EventType.String")
	}
	e := Event{Type: EventUser, Member: NodeView{ID: "b"}, Payload: []byte("hi")}
	if e.String() != `user from b: "hi"` {
		t.Errorf("Event.String = %q", e.String())
	}
	if s := (Event{Type: EventJoin, Member: NodeView{ID: "b", Addr: "b:1"}}).String(); s != "join b@b:1(alive/0)" {
		t.Errorf("Event.String = %q", s)
	}
}

func TestNextDeadline(t *testing.T) {
	cfg := LANConfig()
	cfg.ID, cfg.Addr = "a", "a:1"
	c, _ := New(cfg)
	if !c.NextDeadline().IsZero() {
		t.Error("deadline before the first call")
	}
	c.Tick(t0)
	d := c.NextDeadline()
	if d.IsZero() || d.Before(t0) || d.After(t0.Add(cfg.ProbeInterval+time.Millisecond)) {
		t.Errorf("first deadline %v", d)
	}
}

func TestFlapDamping(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1))
	inc := uint64(1)
	now := t0
	for i := 0; i < c.cfg.FlapThreshold; i++ {
		now = now.Add(time.Second)
		feed(t, c, now, "c:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "c"})
		inc++
		rd := feed(t, c, now, "b:1", alive("b", inc))
		if got := types(rd.Events); !reflect.DeepEqual(got, []EventType{EventAlive}) {
			t.Fatalf("refutation %d: events %v", i, got)
		}
	}
	// Now b flaps: its next refutation is noted but clears the suspicion
	// only if b answers a reachability check; it answers none here, so
	// the suspicion ends in a failure.
	feed(t, c, now, "c:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "c"})
	inc++
	if rd := feed(t, c, now, "b:1", alive("b", inc)); len(rd.Events) != 0 {
		t.Fatalf("refutation of a flapping member produced %v", types(rd.Events))
	}
	if st, _ := c.StateOf("b"); st != StateSuspect || c.Stats().Damped == 0 {
		t.Fatalf("b is %v, damped %d", st, c.Stats().Damped)
	}
	failed := false
	for i := 0; i < 1000 && !failed; i++ {
		now = c.NextDeadline()
		c.Tick(now)
		for _, e := range c.Ready().Events {
			failed = failed || (e.Type == EventFailed && e.Member.ID == "b")
		}
	}
	if !failed {
		t.Fatal("flapping member not declared failed")
	}
	// It stays out while it answers no check, and may come back after
	// FlapWindow.
	if rd := feed(t, c, now, "b:1", alive("b", inc+1)); len(rd.Events) != 0 {
		t.Errorf("damped member rejoined: %v", types(rd.Events))
	}
	later := now.Add(c.cfg.FlapWindow + time.Second)
	if rd := feed(t, c, later, "b:1", alive("b", inc+2)); !reflect.DeepEqual(types(rd.Events), []EventType{EventJoin}) {
		t.Errorf("after FlapWindow: events %v, want join", types(rd.Events))
	}
}

func TestUpdateQueueBounded(t *testing.T) {
	cfg := LANConfig()
	cfg.ID, cfg.Addr, cfg.MaxUpdateQueue = "a", "a:1", 8
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Tick(t0)
	for i := 0; i < 20; i++ {
		id := string(rune('b' + i))
		feed(t, c, t0, "x:1", alive(id, 1))
	}
	if st := c.Stats(); st.QueuedUpdates != 8 || st.UpdatesDropped != 12 {
		t.Errorf("queued %d dropped %d, want 8 and 12", st.QueuedUpdates, st.UpdatesDropped)
	}
	// The newest survive.
	b := c.packet("", true)
	msgs, _ := wire.DecodePacket(b)
	if len(msgs) != 8 || msgs[0].(*wire.Alive).ID != string(rune('b'+19)) {
		t.Errorf("packet holds %d updates, first %v", len(msgs), msgs[0])
	}
}

// TestMembershipBounds: unauthenticated input adds at most
// MaxNewPerPacket members per packet, MaxNewPerPushPull per full-state
// exchange, and never grows the table past MaxMembers (issue 9, defect 12).
func TestMembershipBounds(t *testing.T) {
	c := newCore(t, "a")
	var msgs []wire.Message
	for i := 0; i < 40; i++ {
		msgs = append(msgs, alive(fmt.Sprintf("p%02d", i), 1))
	}
	feed(t, c, t0, "x:1", msgs...)
	if got, want := len(c.members), c.cfg.MaxNewPerPacket; got != want {
		t.Errorf("one packet added %d members, want %d", got, want)
	}
	if got := c.Stats().MembersRefused; got != uint64(40-c.cfg.MaxNewPerPacket) {
		t.Errorf("MembersRefused = %d, want %d", got, 40-c.cfg.MaxNewPerPacket)
	}

	cfg := LANConfig()
	cfg.ID, cfg.Addr, cfg.MaxMembers, cfg.MaxNewPerPushPull = "a", "a:1", 1000, 600
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pp := func(from, prefix string) *wire.PushPull {
		p := &wire.PushPull{From: from}
		for i := 0; i < 2000; i++ {
			p.Members = append(p.Members, wire.MemberState{ID: fmt.Sprintf("%s%05d", prefix, i), Addr: "z:1", Incarnation: 1})
		}
		return p
	}
	feed(t, c, t0, "x:1", pp("x", "q"))
	if got := len(c.members); got != 600 {
		t.Errorf("one push-pull added %d members, want 600", got)
	}
	feed(t, c, t0, "x:1", pp("y", "r"))
	if got := len(c.members); got != 1000 {
		t.Errorf("table holds %d members, want the limit 1000", got)
	}
	if got := c.Stats().MembersRefused; got != 3000 {
		t.Errorf("MembersRefused = %d, want 3000", got)
	}
	checkInvariants(t, c)
}

// TestReliablePingNeedsStream: only a reliable ping that arrived over a
// stream is answered over a stream. One that arrived as a packet (whose
// source address anyone can forge) is answered as a packet to the sender's
// known address, or dropped and counted when the sender is unknown, so a
// forged packet cannot make the node dial an arbitrary address (issue 9,
// defect 7).
func TestReliablePingNeedsStream(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1))
	ping := func(src string) []byte {
		return wire.Encode(&wire.Ping{Seq: 9, Source: src, Target: "a", Reliable: true})
	}
	// Over a stream: a reliable ack to the member's known address.
	if err := c.HandleStreamMessage(t0, "b:5555", ping("b")); err != nil {
		t.Fatal(err)
	}
	rd := c.Ready()
	if len(rd.Messages) != 1 || !rd.Messages[0].Reliable || rd.Messages[0].To != "b:1" {
		t.Fatalf("stream ping answered with %+v", rd.Messages)
	}
	// As a packet from a forged source: a packet to b's known address.
	if err := c.HandleMessage(t0, "tarpit:1", ping("b")); err != nil {
		t.Fatal(err)
	}
	rd = c.Ready()
	if len(rd.Messages) != 1 || rd.Messages[0].Reliable || rd.Messages[0].To != "b:1" {
		t.Fatalf("packet ping answered with %+v", rd.Messages)
	}
	// As a packet from an unknown member: dropped and counted.
	if err := c.HandleMessage(t0, "tarpit:1", ping("nobody")); err != nil {
		t.Fatal(err)
	}
	if rd := c.Ready(); len(rd.Messages) != 0 {
		t.Fatalf("unknown sender's reliable packet ping answered with %+v", rd.Messages)
	}
	if got := c.Stats().ReliableRefused; got != 1 {
		t.Errorf("ReliableRefused = %d, want 1", got)
	}
	// Bad stream input is an error and changes nothing.
	if err := c.HandleStreamMessage(t0, "b:1", []byte{wire.Version, 0xff}); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("HandleStreamMessage(garbage) = %v, want ErrMalformed", err)
	}
}

// TestEventOrigins: events say whether this member's own timer declared a
// failure or it learned it from gossip, who accused the member, and a
// member's own refutations are events (issue 9, events redesign).
func TestEventOrigins(t *testing.T) {
	c := newCore(t, "a")
	rd := feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1), alive("e", 1))
	for _, e := range rd.Events {
		if e.Origin != OriginGossip {
			t.Errorf("%v: origin %v, want gossip", e, e.Origin)
		}
	}
	// Learned from gossip: a failure declared by c of a member already
	// suspected here on d's word (the first word of a failure is taken
	// as a suspicion, and the same member's word again adds nothing).
	rd = feed(t, c, t0, "d:1", &wire.Dead{Incarnation: 1, ID: "e", From: "d"}, &wire.Dead{Incarnation: 1, ID: "e", From: "d"},
		&wire.Dead{Incarnation: 1, ID: "e", From: "c"})
	if len(rd.Events) != 2 || rd.Events[1].Type != EventFailed || rd.Events[1].Origin != OriginGossip ||
		!reflect.DeepEqual(rd.Events[1].Accusers, []string{"c"}) {
		t.Fatalf("gossiped failure: %+v", rd.Events)
	}
	// Own timer: a suspicion raised by c and confirmed by d runs out here.
	c.cfg.DisableConfirmProbe = true
	rd = feed(t, c, t0, "c:1", &wire.Suspect{Incarnation: 1, ID: "b", From: "c"}, &wire.Suspect{Incarnation: 1, ID: "b", From: "d"})
	if len(rd.Events) != 1 || rd.Events[0].Type != EventSuspect || !reflect.DeepEqual(rd.Events[0].Accusers, []string{"c"}) {
		t.Fatalf("suspicion: %+v", rd.Events)
	}
	var failed *Event
	now := t0
	for i := 0; i < 200 && failed == nil; i++ {
		now = c.NextDeadline()
		c.Tick(now)
		for _, e := range c.Ready().Events {
			if e.Type == EventFailed && e.Member.ID == "b" {
				failed = &e
			}
		}
	}
	// (a may have accused b too, when its own probe of b failed.)
	if failed == nil || failed.Origin != OriginLocal || len(failed.Accusers) < 2 || !reflect.DeepEqual(failed.Accusers[:2], []string{"c", "d"}) {
		t.Fatalf("timer failure: %v origin %v accusers %v", failed, failed.Origin, failed.Accusers)
	}
	// A refutation of our own is an event naming the accuser.
	rd = feed(t, c, now, "c:1", &wire.Suspect{Incarnation: 1, ID: "a", From: "c"})
	if len(rd.Events) != 1 || rd.Events[0].Type != EventRefuted || rd.Events[0].Member.ID != "a" ||
		rd.Events[0].Member.Incarnation != 2 || !reflect.DeepEqual(rd.Events[0].Accusers, []string{"c"}) {
		t.Fatalf("refutation: %+v", rd.Events)
	}
	if got := rd.Events[0].String(); got != "refuted a@a:1(alive/2) accused by c" {
		t.Errorf("String() = %q", got)
	}
	if EventRefuted.String() != "refuted" || OriginLocal.String() != "local" || OriginGossip.String() != "gossip" || EventOrigin(9).String() != "origin(9)" {
		t.Error("names")
	}
}

// TestFlapDampingChecksReachability: a flapping member's refutation is
// not ignored: it is applied once the member answers this member's own
// reachability check (ping, ping-req and stream ping), a failure declared
// at the incarnation it refuted is stale, and a failed flapping member is
// readmitted when it answers (issue 9 defect 6, issue 15).
func TestFlapDampingChecksReachability(t *testing.T) {
	c := newCore(t, "a")
	feed(t, c, t0, "b:1", alive("b", 1), alive("c", 1), alive("d", 1))
	now, inc := t0, uint64(1)
	for i := 0; i < c.cfg.FlapThreshold; i++ {
		now = now.Add(time.Second)
		feed(t, c, now, "c:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "c"})
		inc++
		feed(t, c, now, "b:1", alive("b", inc))
	}
	if !c.damped(now, "b") {
		t.Fatal("b not damped")
	}
	// b flaps: its refutation starts a reachability check.
	feed(t, c, now, "c:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "c"})
	rd := feed(t, c, now, "b:1", alive("b", inc+1))
	if len(rd.Events) != 0 {
		t.Fatalf("noted refutation emitted %v", types(rd.Events))
	}
	var seq uint32
	kinds := map[wire.Type]int{}
	for _, o := range rd.Messages {
		msgs, _ := wire.DecodePacket(o.Data)
		for _, m := range msgs {
			kinds[m.Type()]++
			if p, ok := m.(*wire.Ping); ok && p.Target == "b" {
				seq = p.Seq
			}
		}
	}
	// The first check goes without a stream ping (see sendReachability).
	if kinds[wire.TypePing] < 1 || kinds[wire.TypePingReq] < 1 {
		t.Fatalf("reachability check sent %v", kinds)
	}
	// A failure declared by someone else at the refuted incarnation is stale.
	if rd := feed(t, c, now, "d:1", &wire.Dead{Incarnation: inc, ID: "b", From: "d"}); len(rd.Events) != 0 {
		t.Fatalf("stale death applied: %v", types(rd.Events))
	}
	// b answers: on a clean network its second answer is believed, and
	// the refutation counts.
	rd = feed(t, c, now, "b:1", &wire.Ack{Seq: seq})
	if len(rd.Events) != 0 {
		t.Fatalf("first answer: events %v", types(rd.Events))
	}
	if seq = pingSeq(rd, "b"); seq == 0 {
		t.Fatal("no second check")
	}
	rd = feed(t, c, now, "b:1", &wire.Ack{Seq: seq})
	if got := types(rd.Events); !reflect.DeepEqual(got, []EventType{EventAlive}) {
		t.Fatalf("after the check's ack: events %v, want alive", got)
	}
	if v, _ := c.Member("b"); v.State != StateAlive || v.Incarnation != inc+1 {
		t.Fatalf("b is %v", v)
	}

	// A failed flapping member comes back when it answers a check.
	inc++
	c.flaps["b"].count = c.cfg.FlapThreshold
	feed(t, c, now, "d:1", &wire.Suspect{Incarnation: inc, ID: "b", From: "d"}, &wire.Dead{Incarnation: inc, ID: "b", From: "c"})
	if st, _ := c.StateOf("b"); st != StateDead {
		t.Fatalf("b is %v, want dead", st)
	}
	rd = feed(t, c, now, "b:1", alive("b", inc+1))
	if len(rd.Events) != 0 {
		t.Fatalf("failed flapping member rejoined on its word: %v", types(rd.Events))
	}
	if seq = pingSeq(rd, "b"); seq == 0 {
		t.Fatal("no reachability check of the failed flapping member")
	}
	rd = feed(t, c, now, "b:1", &wire.Ack{Seq: seq})
	if got := types(rd.Events); !reflect.DeepEqual(got, []EventType{EventJoin}) {
		t.Fatalf("after the check's ack: events %v, want join", got)
	}
	checkInvariants(t, c)
}

// pingSeq returns the sequence number of the last ping to target in rd.
func pingSeq(rd Ready, target string) uint32 {
	var seq uint32
	for _, o := range rd.Messages {
		msgs, _ := wire.DecodePacket(o.Data)
		for _, m := range msgs {
			if p, ok := m.(*wire.Ping); ok && p.Target == target {
				seq = p.Seq
			}
		}
	}
	return seq
}

func TestOptions(t *testing.T) {
	cfg := LANConfig()
	cfg.ID, cfg.Addr = "a", "a:1"
	for _, n := range []int{-1, MaxSizeHint + 1} {
		if _, err := New(cfg, WithSizeHint(n)); !errors.Is(err, ErrConfig) {
			t.Errorf("WithSizeHint(%d): %v, want ErrConfig", n, err)
		}
	}
	interned := 0
	c, err := New(cfg, WithSizeHint(100), WithIntern(func(b []byte) string { interned++; return string(b) }))
	if err != nil {
		t.Fatal(err)
	}
	if cap(c.members) != 100 {
		t.Errorf("table capacity %d, want 100", cap(c.members))
	}
	if err := c.HandleMessage(t0, "b:1", wire.Encode(alive("b", 1))); err != nil || interned == 0 {
		t.Errorf("intern not used (%d calls, err %v)", interned, err)
	}
}
