// Package discovery finds the services members offer.
//
// A Service (name, port, tags, health) is registered by the member that
// offers it. The gossip backend (Gossip) carries each member's services in
// its own metadata under MetaKey, so they spread, update and vanish with
// membership: a failed or departed member's services disappear from
// lookups when the member does. Metadata is bounded
// (gossip.Config.MaxMetaSize), and a registration that would not fit
// fails with ErrTooLarge.
//
// Lookup returns only instances whose health is passing; Watch delivers
// the current result and every change, coalesced for slow readers. One
// interface, Backend, covers the gossip backend and the static and DNS
// backends of package discovery/static, so callers can move between them.
//
// Metadata from other members is untrusted: DecodeServices validates it
// and a member whose services do not decode is left out of lookups.
package discovery
