// Package membermeta updates single keys of a gossip member's metadata.
// gossip.Node.SetMeta replaces the whole map, so two services that each
// read, change and write it back could lose each other's keys; every
// cluster service goes through Set, which serializes those
// read-modify-write cycles on one lock for the whole process. (A
// per-key update in gossip itself would make this package unnecessary.)
package membermeta

import (
	"maps"
	"sync"

	"github.com/libgossip/libgossip/gossip"
)

// mu serializes read-modify-write cycles of member metadata in this
// process; it guards no data of its own.
var mu sync.Mutex

// Set sets key to value in n's metadata (deleting it when value is empty)
// and spreads the change. It returns the error of SetMeta (for example
// metadata over the size limit, which leaves the metadata unchanged).
func Set(n *gossip.Node, key, value string) error {
	mu.Lock()
	defer mu.Unlock()
	meta := maps.Clone(n.LocalNode().Meta)
	if meta == nil {
		meta = map[string]string{}
	}
	if cur, ok := meta[key]; ok == (value != "") && cur == value {
		return nil
	}
	if value == "" {
		delete(meta, key)
	} else {
		meta[key] = value
	}
	return n.SetMeta(meta)
}
