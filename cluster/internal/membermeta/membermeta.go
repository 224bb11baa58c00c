// Package membermeta updates single keys of a gossip member's metadata.
// It goes through gossip.Node.UpdateMeta, which reads, changes and writes
// the metadata as one step, so cluster services and the programs that
// host them (each owning some keys) never lose each other's keys.
package membermeta

import (
	"github.com/libgossip/libgossip/gossip"
)

// Set sets key to value in n's metadata (deleting it when value is empty)
// and spreads the change; the node does nothing when the key already
// holds that value. It returns the error of UpdateMeta (for example metadata over the
// size limit, which leaves the metadata unchanged).
func Set(n *gossip.Node, key, value string) error {
	return n.UpdateMeta(func(meta map[string]string) error {
		if value == "" {
			delete(meta, key)
		} else {
			meta[key] = value
		}
		return nil
	})
}
