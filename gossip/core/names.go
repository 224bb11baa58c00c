package core

// Names numbers member ids and holds their identities (id, address and
// metadata), so that cores can keep compact, pointer-light member tables.
// A core makes a private Names for itself, whose numbers it releases when
// it forgets a member; a process that runs many cores (the simulator) can
// pass one Names to all of them with WithNames, so that every id is stored
// once and every core's index is a slice of small ints rather than a map of
// strings. Names is not safe for concurrent use: cores that share one must
// be driven from one goroutine.
type Names struct {
	nums   map[string]int32
	latest []*ident // by number: the last identity made for it
	free   []int32  // released numbers (private tables only)
	shared bool
}

// NewNames returns an empty table to share between cores (see WithNames).
// Numbers in a shared table are never released: it grows with the distinct
// ids its cores have seen.
func NewNames() *Names { return &Names{nums: map[string]int32{}, shared: true} }

func newPrivateNames(hint int) *Names {
	return &Names{nums: make(map[string]int32, hint), latest: make([]*ident, 0, hint)}
}

// ident is one identity of a member: its id, address and metadata. Idents
// are immutable once made, and shared by every record (in every core using
// the same Names) that holds the same identity.
type ident struct {
	id   string
	addr string
	meta string // wire.EncodeMeta form
	num  int32  // the id's number in its Names; -1 for the local member
}

// num returns id's number, if it has one.
func (n *Names) num(id string) (int32, bool) {
	k, ok := n.nums[id]
	return k, ok
}

// make returns the identity (id, addr, meta), numbering id if it is new.
// The last identity made for an id is reused when it matches.
func (n *Names) make(id, addr, meta string) *ident {
	k, ok := n.nums[id]
	if !ok {
		if l := len(n.free); l > 0 {
			k = n.free[l-1]
			n.free = n.free[:l-1]
		} else {
			k = int32(len(n.latest))
			n.latest = append(n.latest, nil)
		}
		n.nums[id] = k
	}
	if p := n.latest[k]; p != nil && p.addr == addr && p.meta == meta {
		return p
	}
	p := &ident{id: id, addr: addr, meta: meta, num: k}
	n.latest[k] = p
	return p
}

// release forgets number k of a private table, once its core no longer
// holds a record for it. Shared tables keep every number.
func (n *Names) release(k int32) {
	if n.shared {
		return
	}
	p := n.latest[k]
	delete(n.nums, p.id)
	n.latest[k] = nil
	n.free = append(n.free, k)
}
