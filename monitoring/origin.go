package monitoring

import (
	"strings"

	"github.com/libgossip/libgossip/gossip"
)

// failureOrigin says whether a failure was declared by this member's own
// suspicion timer ("local") or learned from another member ("gossip").
func failureOrigin(ev gossip.Event) string { return ev.Origin.String() }

// eventDetail notes who accused a member, for the event list.
func eventDetail(ev gossip.Event) string {
	if len(ev.Accusers) == 0 {
		return ""
	}
	const show = 3
	acc := ev.Accusers
	more := ""
	if len(acc) > show {
		more = " and others"
		acc = acc[:show]
	}
	return "accused by " + strings.Join(acc, ", ") + more
}
