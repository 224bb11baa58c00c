package core

import "hash/maphash"

// idIndex finds an id's number in a Names: an open-addressing table of
// numbers (linear probing) keyed by a seeded hash of the id, each hit
// checked against the id its number holds. A slot is 4 bytes and the
// table is at most 3/4 full, where a map[string]int32 costs about 50
// bytes an entry (a 24-byte slot, its control byte, and the room Go's
// maps keep free). Every member keeps one entry per member it knows, so
// at 256 members that is about 2 KB a member instead of about 13 KB.
//
// The seed is random per table, so that ids chosen to collide on one
// process's hash collide on no other; a collision only costs probes.
type idIndex struct {
	slots []int32 // number+1 of the entry there; 0 empty, -1 deleted
	n     int     // entries
	dead  int     // deleted slots
	seed  maphash.Seed
}

func newIDIndex(hint int) idIndex {
	x := idIndex{seed: maphash.MakeSeed()}
	if hint > 0 {
		x.slots = make([]int32, slotsFor(hint))
	}
	return x
}

// slotsFor returns the table size for n entries: a power of two, at
// least 8, with n at most 3/4 of it.
func slotsFor(n int) int {
	s := 8
	for s*3/4 < n {
		s *= 2
	}
	return s
}

func (x *idIndex) len() int { return x.n }

// find returns id's number; idOf returns the id a number holds.
func (x *idIndex) find(id string, idOf func(int32) string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := maphash.String(x.seed, id) & mask; ; i = (i + 1) & mask {
		switch v := x.slots[i]; {
		case v == 0:
			return 0, false
		case v > 0 && idOf(v-1) == id:
			return v - 1, true
		}
	}
}

// insert records that id has number k; id must not be in the index.
// idOf must answer for every number already in it.
func (x *idIndex) insert(id string, k int32, idOf func(int32) string) {
	if (x.n+x.dead+1)*4 > len(x.slots)*3 {
		x.rehash(idOf)
	}
	x.place(maphash.String(x.seed, id), k)
	x.n++
}

func (x *idIndex) place(h uint64, k int32) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] > 0 {
		i = (i + 1) & mask
	}
	if x.slots[i] < 0 {
		x.dead--
	}
	x.slots[i] = k + 1
}

// remove forgets id, whose number is k.
func (x *idIndex) remove(id string, k int32) {
	if len(x.slots) == 0 {
		return
	}
	mask := uint64(len(x.slots) - 1)
	for i := maphash.String(x.seed, id) & mask; x.slots[i] != 0; i = (i + 1) & mask {
		if x.slots[i] == k+1 {
			x.slots[i] = -1
			x.n--
			x.dead++
			return
		}
	}
}

// rehash rebuilds the table without its deleted slots, twice as large if
// its entries (and one more) would fill more than 3/4 of the same size.
func (x *idIndex) rehash(idOf func(int32) string) {
	old := x.slots
	x.slots = make([]int32, slotsFor(x.n+1))
	x.dead = 0
	for _, v := range old {
		if v > 0 {
			x.place(maphash.String(x.seed, idOf(v-1)), v-1)
		}
	}
}
