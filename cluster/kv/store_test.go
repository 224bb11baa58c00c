package kv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libgossip/libgossip/utils/clock"
)

func ts(w int64) clock.Timestamp { return clock.Timestamp{Wall: w} }

func mustStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewer(t *testing.T) {
	a := Entry{Key: "k", Value: []byte("a"), Version: ts(2), Origin: "n1"}
	cases := []struct {
		name string
		x, y Entry
		want bool
	}{
		{"later version", a, Entry{Key: "k", Version: ts(1), Origin: "n9"}, true},
		{"earlier version", Entry{Key: "k", Version: ts(1), Origin: "n9"}, a, false},
		{"origin breaks tie", Entry{Key: "k", Version: ts(2), Origin: "n2"}, a, true},
		{"tombstone wins tie", Entry{Key: "k", Version: ts(2), Origin: "n1", Deleted: true}, a, true},
		{"value bytes break tie", Entry{Key: "k", Value: []byte("b"), Version: ts(2), Origin: "n1"}, a, true},
		{"equal", a, a, false},
	}
	for _, c := range cases {
		if got := c.x.Newer(c.y); got != c.want {
			t.Errorf("%s: %+v.Newer(%+v) = %v, want %v", c.name, c.x, c.y, got, c.want)
		}
	}
}

func TestWriteMergeLimits(t *testing.T) {
	s := mustStore(t, Config{MaxKeySize: 4, MaxValueSize: 8, MaxTotalSize: 150})
	cases := []struct {
		e    Entry
		want error
	}{
		{Entry{Key: "", Origin: "a"}, ErrKeyTooLarge},
		{Entry{Key: "toolong", Origin: "a"}, ErrKeyTooLarge},
		{Entry{Key: "k", Value: make([]byte, 9), Origin: "a"}, ErrValueTooLarge},
		{Entry{Key: "k", Origin: ""}, ErrMalformed},
		{Entry{Key: "k", Origin: "a", Deleted: true, Value: []byte("x")}, ErrMalformed},
		{Entry{Key: "k", Origin: "a", Version: clock.Timestamp{Wall: -1}}, ErrMalformed},
	}
	for _, c := range cases {
		if err := s.Write(c.e); !errors.Is(err, c.want) {
			t.Errorf("Write(%+v) = %v, want %v", c.e, err, c.want)
		}
		if _, err := s.Merge(c.e); !errors.Is(err, c.want) {
			t.Errorf("Merge(%+v) = %v, want %v", c.e, err, c.want)
		}
	}
	for i := range 4 {
		err := s.Write(Entry{Key: string(rune('a' + i)), Value: make([]byte, 8), Version: ts(1), Origin: "n"})
		if i < 4 && s.Size() > 150 {
			t.Fatal("over the limit")
		}
		if i == 3 && !errors.Is(err, ErrFull) {
			t.Errorf("4th write: %v, want ErrFull", err)
		}
	}
	if s.Len() != 3 || s.Stats().Rejected == 0 {
		t.Errorf("len %d, stats %+v", s.Len(), s.Stats())
	}
	if _, err := NewStore(Config{MaxKeySize: HardMaxKeySize + 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: %v", err)
	}
}

func TestMergeAndChanges(t *testing.T) {
	s := mustStore(t, Config{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Write(Entry{Key: "a", Value: []byte("1"), Version: ts(10), Origin: "x"}))
	if ch, _ := s.Merge(Entry{Key: "a", Value: []byte("0"), Version: ts(5), Origin: "y"}); ch {
		t.Error("older entry changed the store")
	}
	if ch, _ := s.Merge(Entry{Key: "a", Value: []byte("2"), Version: ts(11), Origin: "y"}); !ch {
		t.Error("newer entry ignored")
	}
	must(s.Write(Entry{Key: "a", Version: ts(12), Origin: "x", Deleted: true}))
	if _, ok := s.Get("a"); ok {
		t.Error("deleted key visible")
	}
	must(s.Write(Entry{Key: "b/1", Value: []byte("v"), Version: ts(1), Origin: "x"}))
	must(s.Write(Entry{Key: "b/2", Value: []byte("v"), Version: ts(1), Origin: "x"}))
	if got := s.List("b/"); len(got) != 2 || got[0].Key != "b/1" {
		t.Errorf("List = %+v", got)
	}
	ch := s.Changes()
	var seq []string
	for _, c := range ch {
		seq = append(seq, c.Entry.Key+map[bool]string{true: "-", false: "+"}[c.Entry.Deleted])
	}
	if strings.Join(seq, " ") != "a+ a+ a- b/1+ b/2+" || !ch[1].Remote || ch[0].Remote {
		t.Errorf("changes %v (%+v)", seq, ch)
	}
	if len(s.Changes()) != 0 {
		t.Error("Changes not cleared")
	}
}

// TestGCHorizon: a tombstone is collected after the grace period, and the
// deleted value arriving later from a member that missed the delete is
// refused, while a never-deleted old key is still accepted by a store that
// has collected nothing.
func TestGCHorizon(t *testing.T) {
	base := time.Unix(1000, 0)
	s := mustStore(t, Config{Grace: time.Minute})
	old := Entry{Key: "k", Value: []byte("v"), Version: ts(base.UnixNano()), Origin: "x"}
	if _, err := s.Merge(old); err != nil {
		t.Fatal(err)
	}
	del := Entry{Key: "k", Version: ts(base.Add(time.Second).UnixNano()), Origin: "x", Deleted: true}
	if _, err := s.Merge(del); err != nil {
		t.Fatal(err)
	}
	if n := s.GC(base.Add(30 * time.Second)); n != 0 {
		t.Errorf("collected %d inside the grace period", n)
	}
	if n := s.GC(base.Add(2 * time.Minute)); n != 1 || s.Len() != 0 || s.Horizon() != del.Version {
		t.Fatalf("GC: %d collected, len %d, horizon %v", n, s.Len(), s.Horizon())
	}
	if _, err := s.Merge(old); !errors.Is(err, ErrBelowHorizon) {
		t.Errorf("resurrection: %v, want ErrBelowHorizon", err)
	}
	fresh := mustStore(t, Config{Grace: time.Minute})
	fresh.GC(base.Add(time.Hour))
	if _, err := fresh.Merge(old); err != nil {
		t.Errorf("a store that collected nothing refused an old key: %v", err)
	}
}

// exchange runs one anti-entropy exchange from a to b through the codec.
func exchange(t *testing.T, a, b *Store) {
	t.Helper()
	d, err := DecodeDigest(EncodeDigest(a.Digest()))
	if err != nil {
		t.Fatal(err)
	}
	rp, err := DecodeReply(EncodeReply(b.Reconcile(d)))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := a.ApplyReply(rp)
	h, es, err := DecodeEntries(EncodeEntries(p.Horizon, p.Entries))
	if err != nil {
		t.Fatal(err)
	}
	_ = b.ApplyPush(Push{Horizon: h, Entries: es})
}

func TestExchange(t *testing.T) {
	a, b := mustStore(t, Config{}), mustStore(t, Config{})
	a.Write(Entry{Key: "onlyA", Value: []byte("1"), Version: ts(1), Origin: "a"})
	b.Write(Entry{Key: "onlyB", Value: []byte("2"), Version: ts(1), Origin: "b"})
	a.Write(Entry{Key: "both", Value: []byte("old"), Version: ts(1), Origin: "a"})
	b.Write(Entry{Key: "both", Value: []byte("new"), Version: ts(2), Origin: "b"})
	a.Write(Entry{Key: "del", Value: []byte("x"), Version: ts(1), Origin: "a"})
	b.Write(Entry{Key: "del", Version: ts(3), Origin: "b", Deleted: true})
	// Same version and origin, different values: settled by the full order.
	a.Write(Entry{Key: "tie", Value: []byte("p"), Version: ts(4), Origin: "z"})
	b.Write(Entry{Key: "tie", Value: []byte("q"), Version: ts(4), Origin: "z"})
	exchange(t, a, b)
	if a.Hash() != b.Hash() {
		t.Fatalf("hashes differ after an exchange:\n a %+v\n b %+v", a.List(""), b.List(""))
	}
	if e, _ := a.Get("tie"); string(e.Value) != "q" {
		t.Errorf("tie settled on %q", e.Value)
	}
	if _, ok := a.Get("del"); ok {
		t.Error("delete lost")
	}
}

// TestExchangeDropsCollected: a member that was away while a key was
// deleted and the tombstone collected drops its stale copy in either
// role of the exchange, and the other side never takes it back.
func TestExchangeDropsCollected(t *testing.T) {
	for _, awayInitiates := range []bool{true, false} {
		base := time.Unix(1000, 0)
		live, away := mustStore(t, Config{Grace: time.Minute}), mustStore(t, Config{Grace: time.Minute})
		v := Entry{Key: "k", Value: []byte("v"), Version: ts(base.UnixNano()), Origin: "x"}
		keep := Entry{Key: "keep", Value: []byte("v"), Version: ts(base.UnixNano()), Origin: "x"}
		for _, s := range []*Store{live, away} {
			s.Merge(v)
			s.Merge(keep)
		}
		live.Write(Entry{Key: "k", Version: ts(base.Add(time.Second).UnixNano()), Origin: "x", Deleted: true})
		live.GC(base.Add(time.Hour))
		if awayInitiates {
			exchange(t, away, live)
		} else {
			exchange(t, live, away)
		}
		for name, s := range map[string]*Store{"live": live, "away": away} {
			if _, ok := s.Get("k"); ok {
				t.Errorf("initiator away=%v: %s resurrected k", awayInitiates, name)
			}
			if _, ok := s.Get("keep"); !ok {
				t.Errorf("initiator away=%v: %s lost keep", awayInitiates, name)
			}
		}
		if away.Horizon() != live.Horizon() {
			t.Errorf("horizon not adopted: %v vs %v", away.Horizon(), live.Horizon())
		}
	}
}
