package core

// queue is a transmit-limited broadcast queue. Items are framed wire
// messages. Each pick prefers the least-sent item, and among equally sent
// ones the newest. Items live in buckets indexed by send count; within a
// bucket, later entries are newer.
type queue struct {
	buckets [][]*item
	heads   []int // per bucket: entries before it are all removed
	byKey   map[string]*item
	n       int
	peak    int     // most items held since the queue was last empty and shrunk
	unsent  int     // news items not yet sent in a gossip round
	spare   []*item // removed items, reused by push
}

type item struct {
	key    string
	data   []byte
	sent   int
	bucket int
	pos    int
	stamp  uint64
	news   bool // counts in unsent until sent in a gossip round (see pushQuiet)
}

// minItem is the smallest framed message (a nack); maxMisfits bounds the
// search for an item small enough to fill the end of a packet.
const (
	minItem    = 3
	maxMisfits = 8
)

// shrinkAbove is the most items an empty queue keeps memory for: a queue
// that held more (a join storm queues an update per member) gives back
// its buckets, spare items and key map once it is empty again, so a
// member's steady state does not pay for its largest burst.
const shrinkAbove = 32

func newQueue() *queue { return &queue{byKey: map[string]*item{}} }

func (q *queue) len() int { return q.n }

// news reports whether the queue holds a news item (one not pushed with
// pushQuiet) that has not gone out in a gossip round yet: a new key, or
// a replacement since. Riding on a probe or an ack (fill with round
// false) counts as a send but leaves the item news: that packet reaches
// one member, where a round reaches GossipFanout.
func (q *queue) news() bool { return q.unsent > 0 }

// unsentKey reports whether the item under key is news (see news).
func (q *queue) unsentKey(key string) bool {
	it, ok := q.byKey[key]
	return ok && it.news
}

// push adds data under key, replacing any pending item with the same key
// (an update about a member supersedes older ones). An empty key never
// replaces.
func (q *queue) push(key string, data []byte) { q.add(key, data, true) }

// pushQuiet is push for an item that is not news: it is sent like any
// other, but news reports nothing for it.
func (q *queue) pushQuiet(key string, data []byte) { q.add(key, data, false) }

func (q *queue) add(key string, data []byte, news bool) {
	if key != "" {
		if old, ok := q.byKey[key]; ok {
			q.remove(old)
		}
	}
	var it *item
	if l := len(q.spare); l > 0 {
		it = q.spare[l-1]
		q.spare = q.spare[:l-1]
		*it = item{key: key, data: data, news: news}
	} else {
		it = &item{key: key, data: data, news: news}
	}
	q.place(it, 0)
	if news {
		q.unsent++
	}
	if key != "" {
		q.byKey[key] = it
	}
	q.n++
	q.peak = max(q.peak, q.n)
}

func (q *queue) place(it *item, b int) {
	for len(q.buckets) <= b {
		q.buckets = append(q.buckets, nil)
		q.heads = append(q.heads, 0)
	}
	it.bucket = b
	it.pos = len(q.buckets[b])
	q.buckets[b] = append(q.buckets[b], it)
}

func (q *queue) remove(it *item) {
	q.buckets[it.bucket][it.pos] = nil
	q.release(it)
}

// unnews notes that it is no longer news.
func (q *queue) unnews(it *item) {
	if it.news {
		it.news = false
		q.unsent--
	}
}

// release forgets it, which no bucket holds any more, and keeps it for
// reuse.
func (q *queue) release(it *item) {
	q.unnews(it)
	if it.key != "" && q.byKey[it.key] == it {
		delete(q.byKey, it.key)
	}
	q.n--
	*it = item{}
	q.spare = append(q.spare, it)
}

// dropOldest removes the oldest, most-sent item.
func (q *queue) dropOldest() bool {
	for b := len(q.buckets) - 1; b >= 0; b-- {
		bk := q.buckets[b]
		for i := q.heads[b]; i < len(bk); i++ {
			if it := bk[i]; it != nil {
				q.remove(it)
				q.heads[b] = i + 1
				q.shrink()
				return true
			}
		}
		q.heads[b] = len(bk)
	}
	return false
}

// fill appends items to dst while they fit in budget bytes, marks each as
// sent once, and drops items that reach limit sends. pass identifies the
// packet being built: an item is added to one packet at most once, however
// often fill is called for it. Items longer than
// maxItem are passed to big (if not nil) instead, also counted as sent.
// When count is false the items are added without being counted as sent
// (the packet goes to a member that may not receive it). round says the
// packet belongs to a gossip round: a counted item in it stops being news.
// It returns the extended dst and the bytes used.
func (q *queue) fill(dst []byte, pass uint64, budget, limit, maxItem int, big func([]byte), count, round bool) ([]byte, int) {
	if q.n == 0 || budget <= 0 {
		return dst, 0
	}
	used := 0
	misfits := 0 // items skipped for size in a row: stop looking soon
	for b := 0; b < len(q.buckets) && budget-used > minItem && misfits < maxMisfits; b++ {
		bk := q.buckets[b]
		changed := false
		for i := len(bk) - 1; i >= 0 && budget-used > minItem && misfits < maxMisfits; i-- {
			it := bk[i]
			if it == nil || it.stamp == pass {
				continue
			}
			if it.sent >= limit {
				q.remove(it)
				changed = true
				continue
			}
			l := len(it.data)
			switch {
			case l > maxItem:
				if big == nil {
					continue
				}
				big(it.data)
			case l <= budget-used:
				dst = append(dst, it.data...)
				used += l
				misfits = 0
			default:
				misfits++
				continue
			}
			it.stamp = pass
			if !count {
				continue
			}
			changed = true
			it.sent++
			if round {
				q.unnews(it)
			}
			bk[i] = nil
			if it.sent >= limit {
				q.release(it)
				continue
			}
			q.place(it, it.sent)
		}
		if changed {
			q.compact(b)
		}
	}
	q.shrink()
	return dst, used
}

// shrink gives back the memory of an empty queue that held more than
// shrinkAbove items.
func (q *queue) shrink() {
	if q.n == 0 && q.peak > shrinkAbove {
		*q = queue{byKey: map[string]*item{}}
	}
}

func (q *queue) compact(b int) {
	bk := q.buckets[b]
	j := 0
	for _, it := range bk {
		if it != nil {
			it.pos = j
			bk[j] = it
			j++
		}
	}
	clear(bk[j:])
	q.buckets[b] = bk[:j]
	q.heads[b] = 0
}
