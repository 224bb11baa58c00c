package election

import (
	"cmp"
	"hash/fnv"
)

// Candidate is a live member standing for election, as one member sees it.
type Candidate struct {
	ID string
	// Rank orders candidates: the lowest rank leads, ties broken by the
	// lowest ID.
	Rank int
	// Token is the highest fencing token the member has published.
	Token uint64
}

// Lease is one member's view of who leads.
type Lease struct {
	// Leader is the leading candidate's id, "" when there is no candidate.
	Leader string
	// Token is the leader's fencing token as known here. A resource that
	// refuses tokens lower than the highest it has seen fences off a
	// deposed leader.
	Token uint64
	// Self reports whether this member is the leader.
	Self bool
}

// Leader returns the candidate that leads among cands: the lowest Rank,
// then the lowest ID. ok is false when cands is empty.
func Leader(cands []Candidate) (c Candidate, ok bool) {
	for i, x := range cands {
		if i == 0 || cmp.Or(cmp.Compare(x.Rank, c.Rank), cmp.Compare(x.ID, c.ID)) < 0 {
			c = x
		}
	}
	return c, len(cands) > 0
}

// Token layout: a fencing token is a counter in its high bits and a hash
// of its issuer's id in its low IssuerBits bits, so two members that issue
// a token at the same count (two sides of a partition) issue different
// values, ordered; only ids whose hashes collide (about 1 in 16.7 million
// pairs) can tie.
const IssuerBits = 24

// TokenCount returns the counter part of a token.
func TokenCount(token uint64) uint64 { return token >> IssuerBits }

func issue(after uint64, self string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(self))
	return (TokenCount(after)+1)<<IssuerBits | uint64(h.Sum32())&(1<<IssuerBits-1)
}

// Machine is one member's election state: a pure state machine with no
// clock, no I/O and no goroutines. It is not safe for concurrent use.
//
// Its fencing token only grows: it is the highest token the member has
// seen. A member that takes the lead issues one above every token visible
// to it (its own and every live candidate's): the next count, with its own
// issuer bits. While it leads it issues again whenever its view gains a
// candidate (a join, or a partition healing: each view gets its own token)
// or it sees a token higher than its own. Followers republish the
// leader's token, so a leader seeing its own token elsewhere issues
// nothing.
type Machine struct {
	self    string
	token   uint64
	leading bool
	prev    map[string]bool // candidates of the previous view
}

// NewMachine returns the state of member self, starting from token (the
// highest token it remembers; 0 for none).
func NewMachine(self string, token uint64) *Machine {
	return &Machine{self: self, token: token, prev: map[string]bool{}}
}

// Token returns the token this member publishes. It never decreases.
func (m *Machine) Token() uint64 { return m.token }

// Update takes the live candidates this member sees (itself included when
// it stands) and returns the lease. This member's own entry, if any, is
// read with its current token whatever the view says.
func (m *Machine) Update(view []Candidate) Lease {
	var maxOther uint64
	joined := false
	cands := make([]Candidate, 0, len(view))
	seen := make(map[string]bool, len(view))
	for _, c := range view {
		if c.ID == m.self {
			c.Token = m.token
		} else {
			maxOther = max(maxOther, c.Token)
			joined = joined || !m.prev[c.ID]
		}
		seen[c.ID] = true
		cands = append(cands, c)
	}
	m.prev = seen
	l, ok := Leader(cands)
	if !ok {
		m.leading = false
		return Lease{}
	}
	if l.ID == m.self {
		if !m.leading || joined || maxOther > m.token {
			m.token = issue(max(m.token, maxOther), m.self)
		}
		m.leading = true
		return Lease{Leader: m.self, Token: m.token, Self: true}
	}
	m.leading = false
	m.token = max(m.token, maxOther)
	return Lease{Leader: l.ID, Token: l.Token}
}
