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
		{"alone: leads with token 1, keeps it", 0, []step{
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: 1, Self: true}, 1},
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: 1, Self: true}, 1},
		}},
		{"takes the lead above every visible token", 0, []step{
			{[]Candidate{{ID: "a"}, {ID: "b", Token: 7}, {ID: "c", Token: 4}}, Lease{Leader: "a", Token: 8, Self: true}, 8},
		}},
		{"follower adopts the highest token", 0, []step{
			{[]Candidate{{ID: "a", Rank: 1}, {ID: "b", Token: 3}, {ID: "c", Rank: 2, Token: 5}}, Lease{Leader: "b", Token: 3}, 5},
		}},
		{"no candidates: no leader, token kept", 4, []step{
			{nil, Lease{}, 4},
		}},
		{"leader re-issues when its view gains a candidate (heal)", 0, []step{
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: 1, Self: true}, 1},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: 1}}, Lease{Leader: "a", Token: 2, Self: true}, 2},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: 2}}, Lease{Leader: "a", Token: 2, Self: true}, 2},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: 1}}, Lease{Leader: "a", Token: 2, Self: true}, 2},
			{[]Candidate{{ID: "a"}}, Lease{Leader: "a", Token: 2, Self: true}, 2},
		}},
		{"leader re-issues above a higher token", 0, []step{
			{[]Candidate{{ID: "a"}, {ID: "b"}}, Lease{Leader: "a", Token: 1, Self: true}, 1},
			{[]Candidate{{ID: "a"}, {ID: "b", Token: 9}}, Lease{Leader: "a", Token: 10, Self: true}, 10},
		}},
		{"deposed, then leads again with a higher token", 0, []step{
			{[]Candidate{{ID: "a", Rank: 1}}, Lease{Leader: "a", Token: 1, Self: true}, 1},
			{[]Candidate{{ID: "a", Rank: 1}, {ID: "b", Token: 2}}, Lease{Leader: "b", Token: 2}, 2},
			{[]Candidate{{ID: "a", Rank: 1}}, Lease{Leader: "a", Token: 3, Self: true}, 3},
		}},
		{"own entry uses the machine's token", 5, []step{
			{[]Candidate{{ID: "a", Token: 100}}, Lease{Leader: "a", Token: 6, Self: true}, 6},
		}},
		{"observer (not in its view) follows", 0, []step{
			{[]Candidate{{ID: "b", Token: 2}}, Lease{Leader: "b", Token: 2}, 2},
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
