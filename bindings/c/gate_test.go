package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestGateWaitsForInFlightCallback(t *testing.T) {
	var g gate
	if !g.enter() {
		t.Fatal("enter on an open gate failed")
	}
	g.shut()
	if g.enter() {
		t.Fatal("enter after shut succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := g.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait with a callback in flight = %v, want DeadlineExceeded", err)
	}
	left := make(chan struct{})
	go func() { g.leave(); close(left) }()
	if err := g.wait(context.Background()); err != nil {
		t.Fatalf("wait after leave = %v", err)
	}
	<-left
	if err := g.wait(context.Background()); err != nil {
		t.Fatalf("wait on an idle gate = %v", err)
	}
}

func TestGateConcurrent(t *testing.T) {
	var g gate
	var wg sync.WaitGroup
	var mu sync.Mutex
	shut, late := false, 0
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if !g.enter() {
					return
				}
				mu.Lock()
				if shut {
					late++
				}
				mu.Unlock()
				g.leave()
			}
		})
	}
	g.shut()
	if err := g.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	shut = true
	mu.Unlock()
	wg.Wait()
	if late != 0 {
		t.Fatalf("%d callbacks ran after shut and wait returned", late)
	}
}
