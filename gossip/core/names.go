package core

// Names numbers member ids and holds their identities (id, address and
// metadata), so that cores can keep compact, pointer-free member tables.
// A core makes a private Names for itself, whose numbers it releases when
// it forgets a member; a process that runs many cores (the simulator) can
// pass one Names to all of them with WithNames, so that every id is stored
// once and every core's index is a slice of small ints rather than a map of
// strings. Names is not safe for concurrent use: cores that share one must
// be driven from one goroutine.
type Names struct {
	nums idIndex // id → number
	// idents holds every identity, addressed by reference (a record's
	// ref). In a private table an identity's reference is its number and
	// a change replaces it in place; in a shared one identities are
	// appended and never change, since other cores may still hold an
	// older one.
	idents []ident
	latest []int32 // shared tables, by number: the last identity made for it
	// alive, in shared tables, by reference: the framed announcement of
	// the identity at one incarnation (see Core.aliveBytes), so that every
	// core that gossips the same announcement queues the same bytes. A
	// private table keeps none: its core queues each announcement once,
	// and a cached copy per member would only cost memory.
	alive  []framedAlive
	free   []int32 // released numbers (private tables only)
	shared bool
}

// NewNames returns an empty table to share between cores (see WithNames).
// Numbers in a shared table are never released, and every distinct
// identity (id, address, metadata) stays: it grows with the ids and the
// address and metadata changes its cores have seen.
func NewNames() *Names { return &Names{nums: newIDIndex(0), shared: true} }

func newPrivateNames(hint int) *Names {
	return &Names{nums: newIDIndex(hint), idents: make([]ident, 0, hint)}
}

// ident is one identity of a member: its id, address and metadata. Records
// refer to identities by index (see Names.idents), so that member tables
// hold no pointers for the garbage collector to scan.
type ident struct {
	id   string
	addr string
	meta string // wire.EncodeMeta form
	num  int32  // the id's number in its Names
}

// framedAlive is a cached announcement: the framed Alive message of an
// identity at incarnation inc.
type framedAlive struct {
	b   []byte
	inc uint64
}

// num returns id's number, if it has one.
func (n *Names) num(id string) (int32, bool) { return n.nums.find(id, n.idOf) }

// idOf returns the id numbered k.
func (n *Names) idOf(k int32) string {
	if n.shared {
		return n.idents[n.latest[k]].id
	}
	return n.idents[k].id
}

// get returns the identity with reference r. The pointer is valid until
// the next call to make.
func (n *Names) get(r int32) *ident { return &n.idents[r] }

// make returns the reference of identity (id, addr, meta), numbering id if
// it is new. The last identity made for an id is reused when it matches.
func (n *Names) make(id, addr, meta string) int32 {
	k, ok := n.num(id)
	if !ok {
		k = n.number(id)
	}
	if !n.shared {
		n.idents[k] = ident{id: id, addr: addr, meta: meta, num: k}
		return k
	}
	if r := n.latest[k]; r >= 0 {
		if p := &n.idents[r]; p.addr == addr && p.meta == meta {
			return r
		}
	}
	r := int32(len(n.idents))
	n.idents = append(n.idents, ident{id: id, addr: addr, meta: meta, num: k})
	n.alive = append(n.alive, framedAlive{})
	n.latest[k] = r
	return r
}

// number gives id a number: a released one if any, else the next.
func (n *Names) number(id string) int32 {
	var k int32
	switch l := len(n.free); {
	case l > 0:
		k = n.free[l-1]
		n.free = n.free[:l-1]
	case n.shared:
		k = int32(len(n.latest))
		n.latest = append(n.latest, -1)
	default:
		k = int32(len(n.idents))
		n.idents = append(n.idents, ident{})
	}
	n.nums.insert(id, k, n.idOf)
	return k
}

// release forgets number k of a private table, once its core no longer
// holds a record for it. Shared tables keep every number.
func (n *Names) release(k int32) {
	if n.shared {
		return
	}
	n.nums.remove(n.idents[k].id, k)
	n.idents[k] = ident{}
	n.free = append(n.free, k)
}
