package gossip_test

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// faultTransport wraps a memnet transport and injects faults into what it
// sends: writes and dials to a black-holed address block until their
// context ends; those to a delayed address wait a fixed time first.
type faultTransport struct {
	*memnet.Transport

	mu    sync.Mutex
	holes map[string]bool
	delay map[string]time.Duration
	alias map[string]string // another name of an address
}

func newFaultTransport(tr *memnet.Transport) *faultTransport {
	return &faultTransport{Transport: tr, holes: map[string]bool{}, delay: map[string]time.Duration{}, alias: map[string]string{}}
}

func (f *faultTransport) blackHole(addr string) {
	f.mu.Lock()
	f.holes[addr] = true
	f.mu.Unlock()
}

func (f *faultTransport) slow(addr string, d time.Duration) {
	f.mu.Lock()
	f.delay[addr] = d
	f.mu.Unlock()
}

// fault applies the fault for addr; it returns ctx's error if ctx ended
// first.
func (f *faultTransport) fault(ctx context.Context, addr string) error {
	f.mu.Lock()
	hole, d := f.holes[addr], f.delay[addr]
	f.mu.Unlock()
	switch {
	case hole:
		<-ctx.Done()
		return ctx.Err()
	case d > 0:
		t := time.NewTimer(d) // the injected latency of this link
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (f *faultTransport) WritePacket(ctx context.Context, addr string, b []byte) error {
	if err := f.fault(ctx, addr); err != nil {
		return err
	}
	return f.Transport.WritePacket(ctx, addr, b)
}

func (f *faultTransport) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	if err := f.fault(ctx, addr); err != nil {
		return nil, err
	}
	f.mu.Lock()
	if to, ok := f.alias[addr]; ok {
		addr = to
	}
	f.mu.Unlock()
	return f.Transport.DialStream(ctx, addr)
}

var _ gossip.Transport = (*faultTransport)(nil)
