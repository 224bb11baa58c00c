package monitoring

import "github.com/libgossip/libgossip/gossip"

// failureOrigin says whether a failure was declared by the member's own
// suspicion timer ("own") or learned from gossip ("learned"), when the event
// carries it; "" otherwise.
func failureOrigin(gossip.Event) string { return "" }

// eventDetail adds what an event says about where it came from, when the
// event carries it.
func eventDetail(gossip.Event) string { return "" }
