package core

import (
	"fmt"
	"testing"
)

// TestQueueShrinksWhenEmpty: a queue that a burst grew past shrinkAbove
// items gives back its memory once every item is sent to the limit, and
// works the same afterwards; a small queue keeps its memory for reuse.
func TestQueueShrinksWhenEmpty(t *testing.T) {
	const limit = 3
	q := newQueue()
	sendAll := func() int {
		sent := 0
		for pass := uint64(1); q.len() > 0; pass++ {
			b, _ := q.fill(nil, pass, 1<<20, limit, 1<<20, nil, true, true)
			sent += len(b)
			if pass > 100 {
				t.Fatalf("queue of %d items not empty after %d packets", q.len(), pass)
			}
		}
		return sent
	}
	for i := range 4 * shrinkAbove {
		q.push(fmt.Sprint(i), []byte{byte(i), 0, 0})
	}
	if got, want := sendAll(), 4*shrinkAbove*3*limit; got != want {
		t.Errorf("sent %d bytes, want %d", got, want)
	}
	if q.buckets != nil || q.spare != nil || q.peak != 0 {
		t.Errorf("empty queue after a burst keeps %d buckets and %d spare items (peak %d)", len(q.buckets), len(q.spare), q.peak)
	}
	q.push("a", []byte{1, 0, 0})
	q.push("a", []byte{2, 0, 0}) // replaces the first
	q.push("b", []byte{3, 0, 0})
	if b, _ := q.fill(nil, 1000, 1<<20, limit, 1<<20, nil, true, true); string(b) != "\x03\x00\x00\x02\x00\x00" {
		t.Errorf("after shrinking, the queue sends % x, want the newest first and the replaced item once", b)
	}
	if got := sendAll(); got != 2*3*(limit-1) {
		t.Errorf("after shrinking, the queue sent %d more bytes, want %d", got, 2*3*(limit-1))
	}
	if len(q.spare) == 0 {
		t.Error("a small queue dropped its spare items")
	}
}

// TestQueueNews: the queue holds news while an item has never been
// counted as sent, through replacement, sends that do not count, drops
// and shrinking.
func TestQueueNews(t *testing.T) {
	const limit = 2
	q := newQueue()
	check := func(step string, want bool) {
		t.Helper()
		if q.news() != want {
			t.Errorf("%s: news %v, want %v", step, q.news(), want)
		}
	}
	check("empty", false)
	q.push("a", []byte{1, 0, 0})
	check("pushed", true)
	q.fill(nil, 1, 1<<20, limit, 1<<20, nil, false, true)
	check("sent without counting", true)
	q.fill(nil, 2, 1<<20, limit, 1<<20, nil, true, false)
	check("sent once, not in a round", true)
	q.fill(nil, 5, 1<<20, limit, 1<<20, nil, true, true)
	check("sent in a round", false)
	q.push("a", []byte{2, 0, 0})
	check("replaced", true)
	q.push("b", []byte{3, 0, 0})
	q.fill(nil, 3, 4, limit, 1<<20, nil, true, true) // room for one item: b, the newest
	check("one of two sent", true)
	q.fill(nil, 4, 1<<20, limit, 1<<20, nil, true, true)
	check("both sent", false)
	q.push("c", []byte{4, 0, 0})
	for q.dropOldest() {
	}
	check("all dropped", false)
	for i := range 2 * shrinkAbove {
		q.push(fmt.Sprint(i), []byte{byte(i), 0, 0})
	}
	for pass := uint64(10); q.len() > 0; pass++ {
		q.fill(nil, pass, 1<<20, limit, 1<<20, nil, true, true)
	}
	check("drained and shrunk", false)
	q.push("d", []byte{5, 0, 0})
	check("pushed after shrinking", true)
	if q.unsent != 1 {
		t.Errorf("unsent = %d, want 1", q.unsent)
	}
}

// TestQueueQuietItems: an item pushed with pushQuiet is sent like any
// other but is not news, and a news item replacing it is.
func TestQueueQuietItems(t *testing.T) {
	q := newQueue()
	q.pushQuiet("a", []byte{1, 0, 0})
	if q.news() || q.unsentKey("a") {
		t.Error("a quiet item is news")
	}
	if b, _ := q.fill(nil, 1, 1<<20, 2, 1<<20, nil, true, true); len(b) != 3 {
		t.Errorf("quiet item not sent: % x", b)
	}
	q.push("a", []byte{2, 0, 0})
	if !q.news() || !q.unsentKey("a") {
		t.Error("news replacing a quiet item is not news")
	}
	q.pushQuiet("a", []byte{3, 0, 0})
	if q.news() || q.unsent != 0 {
		t.Errorf("quiet item replacing news: news %v, unsent %d", q.news(), q.unsent)
	}
}
