package election

import (
	"errors"
	"testing"
)

func TestLeaderRule(t *testing.T) {
	tests := []struct {
		name  string
		cands []Candidate
		want  string
	}{
		{"none", nil, ""},
		{"one", []Candidate{{ID: "a"}}, "a"},
		{"lowest rank", []Candidate{{ID: "a", Rank: 2}, {ID: "b", Rank: 1}, {ID: "c", Rank: 3}}, "b"},
		{"tie by id", []Candidate{{ID: "c", Rank: 1}, {ID: "b", Rank: 1}, {ID: "d", Rank: 1}}, "b"},
		{"negative rank", []Candidate{{ID: "a"}, {ID: "z", Rank: -1}}, "z"},
		{"token does not matter", []Candidate{{ID: "a", Token: 1}, {ID: "b", Token: 99}}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Leader(tt.cands)
			if got.ID != tt.want || ok != (tt.want != "") {
				t.Fatalf("Leader(%v) = %v, %v; want %q", tt.cands, got, ok, tt.want)
			}
		})
	}
}

// tk is the token member id issues at count n.
func tk(n uint64, id string) uint64 { return issue((n-1)<<IssuerBits, id) }

func TestMachine(t *testing.T) {
	type step struct {
		view []Candidate
		want Lease
		tok  uint64 // token published afterwards
	}
	tests := []struct {
		name  string
		start uint64
		steps []step
	}{
		{"alone: leads with count 1, keeps it", 0, []step{
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: tk(1, "a"), Self: true}, tk(1, "a")},
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: tk(1, "a"), Self: true}, tk(1, "a")},
		}},
		{"takes the lead above every visible token", 0, []step{
			{[]Candidate{{ID: "a"}, {ID: "b", Token: tk(7, "x")}, {ID: "c", Token: tk(4, "y")}}, Lease{Leader: "a", Token: tk(8, "a"), Self: true}, tk(8, "a")},
		}},
		{"follower adopts the highest token", 0, []step{
			{[]Candidate{{ID: "a", Rank: 1}, {ID: "b", Token: tk(3, "b")}, {ID: "c", Rank: 2, Token: tk(5, "z")}}, Lease{Leader: "b", Token: tk(3, "b")}, tk(5, "z")},
		}},
		{"no candidates: no leader, token kept", 4, []step{
			{nil, Lease{}, 4},
		}},
		{"leader re-issues when its view gains a candidate (heal)", 0, []step{
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: tk(1, "a"), Self: true}, tk(1, "a")},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: tk(1, "b")}}, Lease{Leader: "a", Token: tk(2, "a"), Self: true}, tk(2, "a")},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: tk(2, "a")}}, Lease{Leader: "a", Token: tk(2, "a"), Self: true}, tk(2, "a")},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: tk(1, "b")}}, Lease{Leader: "a", Token: tk(2, "a"), Self: true}, tk(2, "a")},
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: tk(2, "a"), Self: true}, tk(2, "a")},
		}},
		{"leader re-issues above a higher token, even at the same count", 0, []step{
			{[]Candidate{{ID: "a"}, {ID: "b"}}, Lease{Leader: "a", Token: tk(1, "a"), Self: true}, tk(1, "a")},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: tk(9, "b")}}, Lease{Leader: "a", Token: tk(10, "a"), Self: true}, tk(10, "a")},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: tk(10, "a") + 1}}, Lease{Leader: "a", Token: tk(11, "a"), Self: true}, tk(11, "a")},
		}},
		{"deposed, then leads again with a higher token", 0, []step{
			{[]Candidate{{ID: "a", Rank: 1}}, Lease{Leader: "a", Token: tk(1, "a"), Self: true}, tk(1, "a")},
			{[]Candidate{{ID: "a", Rank: 1}, {ID: "b", Token: tk(2, "b")}}, Lease{Leader: "b", Token: tk(2, "b")}, tk(2, "b")},
			{[]Candidate{{ID: "a", Rank: 1}}, Lease{Leader: "a", Token: tk(3, "a"), Self: true}, tk(3, "a")},
		}},
		{"own entry uses the machine's token", tk(5, "a"), []step{
			{[]Candidate{{ID: "a", Token: tk(100, "a")}}, Lease{Leader: "a", Token: tk(6, "a"), Self: true}, tk(6, "a")},
		}},
		{"observer (not in its view) follows", 0, []step{
			{[]Candidate{{ID: "b", Token: tk(2, "b")}}, Lease{Leader: "b", Token: tk(2, "b")}, tk(2, "b")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMachine("a", tt.start)
			for i, s := range tt.steps {
				got := m.Update(s.view)
				if got != s.want || m.Token() != s.tok {
					t.Fatalf("step %d: Update(%v) = %+v token %d; want %+v token %d", i, s.view, got, m.Token(), s.want, s.tok)
				}
			}
		})
	}
}

// Two members issuing at the same count issue different, ordered tokens;
// counts dominate.
func TestTokenLayout(t *testing.T) {
	a, b := tk(3, "a"), tk(3, "b")
	if a == b || TokenCount(a) != 3 || TokenCount(b) != 3 {
		t.Fatalf("tokens %x %x", a, b)
	}
	if tk(4, "a") <= max(a, b) || tk(4, "b") <= max(a, b) {
		t.Fatalf("count 4 not above count 3")
	}
}

func TestParseTag(t *testing.T) {
	if r, tok, err := parseTag(formatTag(-3, 1<<60)); err != nil || r != -3 || tok != 1<<60 {
		t.Fatalf("round trip: %d %d %v", r, tok, err)
	}
	for _, bad := range []string{"", "1", "x:1", "1:x", "1:-1", "99999999999:1", "1:2:3", "00000000000000000000000000000000000000000000000000:1"} {
		if _, _, err := parseTag(bad); !errors.Is(err, ErrTag) {
			t.Errorf("parseTag(%q) = %v, want ErrTag", bad, err)
		}
	}
}

func FuzzParseTag(f *testing.F) {
	f.Add("0:0")
	f.Add("-5:18446744073709551615")
	f.Add("1:")
	f.Add(":")
	f.Fuzz(func(t *testing.T, s string) {
		r, tok, err := parseTag(s)
		if err != nil {
			if !errors.Is(err, ErrTag) {
				t.Fatalf("error %v does not wrap ErrTag", err)
			}
			return
		}
		r2, tok2, err := parseTag(formatTag(r, tok))
		if err != nil || r2 != r || tok2 != tok {
			t.Fatalf("round trip of %d:%d: %d:%d %v", r, tok, r2, tok2, err)
		}
	})
}
