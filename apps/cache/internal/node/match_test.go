package node

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"a*", "bac", false},
		{"*c", "abc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"h[ae]llo", "hello", true}, {"h[ae]llo", "hillo", false}, {"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false}, {"h[a-b]llo", "hbllo", true}, {"h[b-a]llo", "hallo", true},
		{`a\*b`, "a*b", true}, {`a\*b`, "axb", false}, {"k*:*9", "key:19", true}, {"k*:*9", "key:18", false},
		{"", "", true}, {"", "a", false}, {"a**", "a", true}, {"[abc", "b", true},
	}
	for _, c := range cases {
		if got := match(c.p, c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
	// A pattern that is exponential for naive backtracking.
	if match(strings.Repeat("*a", 30)+"b", strings.Repeat("a", 200)) {
		t.Error("hostile pattern matched")
	}
}
