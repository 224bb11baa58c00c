package security

import "sync"

// replayFilter remembers the last n nonces.
type replayFilter struct {
	mu   sync.Mutex
	seen map[[nonceSize]byte]struct{}
	ring [][nonceSize]byte
	next int
}

func newReplayFilter(n int) replayFilter {
	return replayFilter{seen: make(map[[nonceSize]byte]struct{}, n), ring: make([][nonceSize]byte, 0, n)}
}

// fresh records nonce and reports whether it was not seen before.
func (f *replayFilter) fresh(nonce []byte) bool {
	k := [nonceSize]byte(nonce)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.seen[k]; ok {
		return false
	}
	if len(f.ring) < cap(f.ring) {
		f.ring = append(f.ring, k)
	} else {
		delete(f.seen, f.ring[f.next])
		f.ring[f.next] = k
		f.next = (f.next + 1) % len(f.ring)
	}
	f.seen[k] = struct{}{}
	return true
}
