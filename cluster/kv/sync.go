package kv

import (
	"slices"
	"strings"

	"github.com/libgossip/libgossip/utils/clock"
)

// DigestEntry summarises one entry without its value.
type DigestEntry struct {
	Key     string
	Version clock.Timestamp
	Origin  string
	Deleted bool
	// Sum fingerprints the entry's content.
	Sum uint64
}

// cmpHeader orders e against a summary by version, origin and deletion;
// entries equal in all three are told apart by their sums (and then
// exchanged both ways, so Merge settles them on the full order).
func cmpHeader(e Entry, d DigestEntry) int {
	return compare(Entry{Version: e.Version, Origin: e.Origin, Deleted: e.Deleted},
		Entry{Version: d.Version, Origin: d.Origin, Deleted: d.Deleted})
}

// Digest opens an anti-entropy exchange: the initiator's horizon, hash and
// a summary of every entry it holds.
type Digest struct {
	Horizon clock.Timestamp
	Hash    uint64
	Entries []DigestEntry
}

// Reply is the responder's answer to a Digest.
type Reply struct {
	// Horizon is the responder's horizon before the exchange.
	Horizon clock.Timestamp
	// Send are entries newer than the initiator's, or missing there and
	// not older than its horizon.
	Send []Entry
	// Drop are entries the initiator holds that the responder lacks and
	// that are older than the responder's horizon: their deletion may
	// have been collected, so the initiator drops them.
	Drop []DigestEntry
	// Want are keys whose entries the initiator should push.
	Want []string
}

// Push closes an exchange: the entries the responder wanted, and the
// initiator's horizon before the exchange.
type Push struct {
	Horizon clock.Timestamp
	Entries []Entry
}

// Digest summarises the store for an anti-entropy exchange, sorted by key.
func (s *Store) Digest() Digest {
	d := Digest{Horizon: s.horizon, Hash: s.Hash(), Entries: make([]DigestEntry, 0, len(s.entries))}
	for _, e := range s.entries {
		d.Entries = append(d.Entries, DigestEntry{Key: e.Key, Version: e.Version, Origin: e.Origin, Deleted: e.Deleted, Sum: e.sum()})
	}
	slices.SortFunc(d.Entries, func(a, b DigestEntry) int { return strings.Compare(a.Key, b.Key) })
	return d
}

// Reconcile answers a peer's Digest (the responder's side). Entries this
// store holds that the peer lacks and that are older than the peer's
// horizon are dropped here: the peer may have collected their deletion.
// The horizon is not raised until the peer's Push arrives (ApplyPush),
// so that the entries wanted from it are not refused.
func (s *Store) Reconcile(d Digest) Reply {
	r := Reply{Horizon: s.horizon}
	theirs := make(map[string]DigestEntry, len(d.Entries))
	for _, de := range d.Entries {
		theirs[de.Key] = de
	}
	for k, e := range s.entries {
		de, ok := theirs[k]
		switch {
		case !ok && e.Version.Before(d.Horizon):
			s.remove(k)
			s.stats.Dropped++
		case !ok:
			r.Send = append(r.Send, e)
		case cmpHeader(e, de) > 0 || (cmpHeader(e, de) == 0 && e.sum() != de.Sum):
			r.Send = append(r.Send, e)
		}
	}
	for _, de := range d.Entries {
		e, ok := s.entries[de.Key]
		switch {
		case !ok && de.Version.Before(s.horizon):
			r.Drop = append(r.Drop, de)
		case !ok, cmpHeader(e, de) < 0 || (cmpHeader(e, de) == 0 && e.sum() != de.Sum):
			r.Want = append(r.Want, de.Key)
		}
	}
	slices.SortFunc(r.Send, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	slices.Sort(r.Want)
	return r
}

// ApplyReply applies a responder's Reply (the initiator's side): it drops
// what the responder showed deleted, merges what it sent, raises the
// horizon to the responder's, and returns the Push of the entries the
// responder wants. It returns the first merge error, if any, after
// applying everything it could.
func (s *Store) ApplyReply(r Reply) (Push, error) {
	p := Push{Horizon: s.horizon}
	for _, de := range r.Drop {
		// Only the entry summarised: a newer local write survives.
		if e, ok := s.entries[de.Key]; ok && e.Version == de.Version && e.Origin == de.Origin {
			s.remove(de.Key)
			s.stats.Dropped++
		}
	}
	var first error
	for _, e := range r.Send {
		if _, err := s.merge(e, false); err != nil && first == nil {
			first = err
		}
	}
	s.raise(r.Horizon)
	for _, k := range r.Want {
		if e, ok := s.entries[k]; ok {
			p.Entries = append(p.Entries, e)
		}
	}
	return p, first
}

// ApplyPush applies the initiator's Push (the responder's side) and raises
// the horizon to the initiator's. It returns the first merge error, if
// any, after applying everything it could.
func (s *Store) ApplyPush(p Push) error {
	var first error
	for _, e := range p.Entries {
		if _, err := s.merge(e, false); err != nil && first == nil {
			first = err
		}
	}
	s.raise(p.Horizon)
	return first
}

// raise adopts a peer's horizon once this store holds everything the peer
// kept below it.
func (s *Store) raise(h clock.Timestamp) {
	if s.horizon.Before(h) {
		s.horizon = h
	}
}
