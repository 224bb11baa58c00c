package job

// Fence is an executor's memory of the fencing tokens it has seen, per run:
// it admits a dispatch only if its token is not older than one already seen
// for that run. It remembers at most max runs; when it forgets one, it
// raises a floor below which any token is refused, so forgetting never
// readmits a stale dispatch. Not safe for concurrent use.
type Fence struct {
	max   int
	floor uint64
	seen  map[string]uint64
	order []string // insertion order, for eviction
}

// NewFence returns a Fence remembering up to n runs (at least 1).
func NewFence(n int) *Fence {
	return &Fence{max: max(n, 1), seen: map[string]uint64{}}
}

// Admit reports whether a dispatch of run id with token may proceed, and
// records the token if so.
func (f *Fence) Admit(id string, token uint64) bool {
	if token <= f.floor {
		return false
	}
	if old, ok := f.seen[id]; ok {
		if token < old {
			return false
		}
		f.seen[id] = token
		return true
	}
	f.seen[id] = token
	f.order = append(f.order, id)
	for len(f.order) > f.max {
		victim := f.order[0]
		f.order = f.order[1:]
		f.floor = max(f.floor, f.seen[victim])
		delete(f.seen, victim)
	}
	return true
}

// Seen returns the latest token admitted for run id (0 if none remembered).
func (f *Fence) Seen(id string) uint64 { return f.seen[id] }
