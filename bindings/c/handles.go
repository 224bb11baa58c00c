package main

import "sync"

// registry maps the integer handles given to C to Go objects, so that C
// never holds a Go pointer. Handles start at 1 and are never reused, so a
// stale handle can never reach another object. It is safe for concurrent
// use.
type registry struct {
	mu   sync.Mutex
	next uint64
	objs map[uint64]any
}

func newRegistry() *registry { return &registry{objs: make(map[uint64]any)} }

// add stores obj and returns its new handle.
func (r *registry) add(obj any) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.objs[r.next] = obj
	return r.next
}

// remove deletes h and returns what it held.
func (r *registry) remove(h uint64) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	obj, ok := r.objs[h]
	delete(r.objs, h)
	return obj, ok
}

// lookup returns the object behind h if it is of type T.
func lookup[T any](r *registry, h uint64) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	obj, ok := r.objs[h].(T)
	return obj, ok
}

// len returns the number of live handles.
func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.objs)
}
