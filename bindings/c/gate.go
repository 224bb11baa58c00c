package main

import (
	"context"
	"sync"
)

// gate guards the callbacks of one handle (a core or a node), so that a
// stop or destroy can promise that no callback runs after it returns.
// Every callback invocation is bracketed by enter and leave; shut closes the
// gate (later enters fail) and wait blocks until the callbacks that entered
// before shut have left. It is safe for concurrent use; the zero value is an
// open gate.
type gate struct {
	mu       sync.Mutex
	shutting bool
	inFlight int
	idle     chan struct{} // non-nil while inFlight > 0; closed when it drops to 0
}

// enter reports whether a callback may run now; when true the caller must
// call leave after the callback returns.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shutting {
		return false
	}
	if g.inFlight == 0 {
		g.idle = make(chan struct{})
	}
	g.inFlight++
	return true
}

// leave ends a callback begun by a successful enter.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	if g.inFlight == 0 {
		close(g.idle)
		g.idle = nil
	}
}

// shut closes the gate: every later enter returns false. It does not wait.
func (g *gate) shut() {
	g.mu.Lock()
	g.shutting = true
	g.mu.Unlock()
}

// wait blocks until no callback is in flight or ctx ends (then it returns
// ctx's error). After shut and a nil wait, no callback runs again.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
