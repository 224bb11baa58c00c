package bootstrap

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

func TestParseSeed(t *testing.T) {
	good := []struct {
		in   string
		want Seed
	}{
		{"10.0.0.1:7946", Seed{Kind: SeedAddr, Host: "10.0.0.1", Port: 7946}},
		{"[::1]:7946", Seed{Kind: SeedAddr, Host: "::1", Port: 7946}},
		{"dns+gossip.svc:7946", Seed{Kind: SeedDNS, Host: "gossip.svc", Port: 7946}},
		{"dnssrv+_gossip._tcp.example.com", Seed{Kind: SeedSRV, Host: "example.com", Service: "gossip", Proto: "tcp"}},
	}
	for _, c := range good {
		got, err := ParseSeed(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSeed(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if back, _ := ParseSeed(got.String()); back != got {
			t.Errorf("String of %q does not round-trip: %q", c.in, got.String())
		}
	}
	for _, in := range []string{"", "host", "host:0", "host:99999", ":7946", "dns+name", "dnssrv+gossip.tcp.x", "dnssrv+_a._b", "dnssrv+_._tcp.x"} {
		if _, err := ParseSeed(in); !errors.Is(err, ErrSeed) {
			t.Errorf("ParseSeed(%q) = %v, want ErrSeed", in, err)
		}
	}
}

// fakeDNS answers from maps the test changes between calls.
type fakeDNS struct {
	hosts map[string][]string
	srv   map[string][]*net.SRV
	calls int
}

func (f *fakeDNS) LookupHost(_ context.Context, host string) ([]string, error) {
	f.calls++
	if a, ok := f.hosts[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func (f *fakeDNS) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	f.calls++
	key := "_" + service + "._" + proto + "." + name
	if s, ok := f.srv[key]; ok {
		return key, s, nil
	}
	return "", nil, errors.New("no such host")
}

func TestResolve(t *testing.T) {
	r := &fakeDNS{
		hosts: map[string][]string{"seeds.local": {"10.0.0.1", "10.0.0.2", "::1"}},
		srv:   map[string][]*net.SRV{"_g._tcp.local": {{Target: "a.local.", Port: 1}, {Target: "b.local.", Port: 2}}},
	}
	var seeds []Seed
	for _, s := range []string{"10.0.0.9:7", "dns+seeds.local:7946", "dnssrv+_g._tcp.local", "dns+missing:1", "10.0.0.9:7"} {
		sd, _ := ParseSeed(s)
		seeds = append(seeds, sd)
	}
	got, err := Resolve(context.Background(), r, seeds)
	want := []string{"10.0.0.9:7", "10.0.0.1:7946", "10.0.0.2:7946", "[::1]:7946", "a.local:1", "b.local:2"}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve = %v, want %v", got, want)
	}
	if !errors.Is(err, ErrResolve) {
		t.Errorf("missing name: %v, want ErrResolve", err)
	}
	sd, _ := ParseSeed("dnssrv+_x._tcp.none")
	if _, err := Resolve(context.Background(), r, []Seed{sd}); !errors.Is(err, ErrResolve) {
		t.Errorf("missing SRV: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt, hi := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		hi *= time.Millisecond
		for range 50 {
			if d := b.Delay(attempt, r); d < hi/2 || d > hi {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
	if d := (Backoff{}).Delay(100, r); d > 30*time.Second || d < 15*time.Second {
		t.Errorf("default cap: %v", d)
	}
}

func view(id, addr string, st gossip.State) gossip.NodeView {
	return gossip.NodeView{ID: id, Addr: addr, State: st}
}

func TestRejoinMachine(t *testing.T) {
	t0 := time.Unix(0, 0)
	r, err := NewRejoin(RejoinConfig{Self: "me", Interval: 10 * time.Second, Fanout: 2, ForgetAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		v    gossip.NodeView
		want bool
	}{
		{view("me", "m:1", gossip.StateAlive), false},
		{view("a", "a:1", gossip.StateAlive), true},
		{view("a", "a:1", gossip.StateSuspect), false},
		{view("a", "a:2", gossip.StateAlive), true},
		{view("b", "b:1", gossip.StateAlive), true},
		{view("b", "b:1", gossip.StateDead), true},
		{view("b", "", gossip.StateDead), false},
		{view("c", "c:1", gossip.StateDead), true},
		{view("d", "d:1", gossip.StateAlive), true},
		{view("d", "d:1", gossip.StateLeft), true},
		{view("e", "e:1", gossip.StateLeft), false},
	}
	for i, s := range steps {
		if got := r.Observe(t0, s.v); got != s.want {
			t.Errorf("step %d Observe(%v) = %v, want %v", i, s.v, got, s.want)
		}
	}
	if ps := r.Peers(); len(ps) != 3 || ps[1].ID != "b" || !ps[1].Failed || ps[1].Addr != "b:1" {
		t.Errorf("peers %+v", ps)
	}
	live := []gossip.NodeView{view("me", "m:1", gossip.StateAlive), view("a", "a:2", gossip.StateAlive), view("x", "c:1", gossip.StateAlive)}
	if got := r.Absent(live); !slices.Equal(got, []string{"b:1"}) {
		t.Errorf("Absent = %v (c's old address is now x's)", got)
	}
	if got := r.Tick(t0, live); got != nil || r.NextDeadline().IsZero() {
		t.Errorf("first Tick = %v", got)
	}
	if got := r.Tick(t0.Add(time.Second), live); got != nil {
		t.Errorf("early Tick = %v", got)
	}
	if got := r.Tick(t0.Add(10*time.Second), live[:1]); len(got) != 2 {
		t.Errorf("due Tick = %v, want 2 of a:2, b:1, c:1", got)
	}
	r.Restore(Peer{ID: "z", Addr: "z:1", Seen: t0.Add(-2 * time.Hour)})
	r.Restore(Peer{ID: "me", Addr: "m:1"})
	r.Tick(t0.Add(time.Minute), live)
	for _, p := range r.Peers() {
		if p.ID == "z" || p.ID == "me" {
			t.Errorf("peer %s kept", p.ID)
		}
	}
	if _, err := NewRejoin(RejoinConfig{Interval: -1}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: %v", err)
	}
}

func TestSnapshotFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.snap")
	s, peers, err := OpenSnapshot(path)
	if err != nil || len(peers) != 0 {
		t.Fatalf("open new: %v %v", peers, err)
	}
	t0 := time.Unix(100, 0)
	s.Record(Peer{ID: "a", Addr: "a:1", Seen: t0}, false)
	s.Record(Peer{ID: "b", Addr: "b:1", Seen: t0}, false)
	s.Record(Peer{ID: "b", Addr: "b:1", Failed: true, Seen: t0}, false)
	s.Record(Peer{ID: "c", Addr: "c:1", Seen: t0}, false)
	s.Record(Peer{ID: "c"}, true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn last record (a crash mid-write) is ignored and cut off.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(encodeRecord(opAlive, Peer{ID: "d", Addr: "d:1"})[:7])
	f.Close()
	s, peers, err = OpenSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Peer{{ID: "a", Addr: "a:1", Seen: t0}, {ID: "b", Addr: "b:1", Failed: true, Seen: t0}}
	if len(peers) != 2 || peers[0] != want[0] || peers[1].ID != "b" || !peers[1].Failed || !peers[1].Seen.Equal(t0) {
		t.Errorf("reopened: %+v, want %+v", peers, want)
	}
	s.Record(Peer{ID: "e", Addr: "e:1", Seen: t0}, false)
	if err := s.Compact(append(peers, Peer{ID: "e", Addr: "e:1", Seen: t0})); err != nil {
		t.Fatal(err)
	}
	s.Record(Peer{ID: "f", Addr: "f:1", Seen: t0}, false)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	got, records, valid, err := DecodeSnapshot(b)
	if err != nil || len(got) != 4 || records != 4 || valid != len(b) {
		t.Errorf("after compaction: %+v, %d records, valid %d of %d, %v", got, records, valid, len(b), err)
	}
	os.WriteFile(path, []byte("not a snapshot"), 0o600)
	if _, _, err := OpenSnapshot(path); !errors.Is(err, ErrSnapshot) {
		t.Errorf("garbage file: %v", err)
	}
	if _, _, err := OpenSnapshot(filepath.Join(path, "under-a-file")); !errors.Is(err, ErrSnapshot) {
		t.Errorf("bad path: %v", err)
	}
}

// FuzzDecodeSnapshot: any file content replays without panic, the valid
// prefix replays to the same peers, and a compacted rewrite of them
// decodes back to them.
func FuzzDecodeSnapshot(f *testing.F) {
	b := append([]byte(nil), snapMagic...)
	b = append(b, encodeRecord(opAlive, Peer{ID: "a", Addr: "127.0.0.1:1", Seen: time.Unix(5, 0)})...)
	b = append(b, encodeRecord(opFailed, Peer{ID: "b", Addr: "127.0.0.1:2"})...)
	b = append(b, encodeRecord(opLeft, Peer{ID: "a"})...)
	f.Add(b)
	f.Add(snapMagic)
	f.Add([]byte("LGSNAP1\n\x00\x05\x00\x00\x00\x00abc"))
	f.Fuzz(func(t *testing.T, in []byte) {
		peers, _, valid, err := DecodeSnapshot(in)
		if err != nil {
			return
		}
		if valid > len(in) {
			t.Fatalf("valid %d > %d", valid, len(in))
		}
		again, _, _, _ := DecodeSnapshot(in[:valid])
		if len(again) != len(peers) {
			t.Fatal("valid prefix replays differently")
		}
		re := append([]byte(nil), snapMagic...)
		for _, p := range peers {
			op := opAlive
			if p.Failed {
				op = opFailed
			}
			re = append(re, encodeRecord(op, p)...)
		}
		back, _, _, _ := DecodeSnapshot(re)
		if len(back) != len(peers) {
			t.Fatalf("rewrite lost peers: %d vs %d", len(back), len(peers))
		}
	})
}
