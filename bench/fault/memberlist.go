package fault

import (
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Memberlist wraps a memberlist.Transport with an Injector. It is itself a
// memberlist.Transport and is safe for concurrent use.
type Memberlist struct {
	inner   memberlist.Transport
	in      *Injector
	packets chan *memberlist.Packet
	streams chan net.Conn
	done    chan struct{} // closed by Shutdown: stop forwarding, keep draining
	stopped chan struct{} // closed once inner is shut down: stop draining
	once    sync.Once
	wg      sync.WaitGroup
	delayed sync.WaitGroup
}

var _ memberlist.Transport = (*Memberlist)(nil)

// WrapMemberlist returns inner (already listening, as
// memberlist.NewNetTransport returns it) with in's faults applied, and
// starts the goroutines that filter its inbound traffic. The wrapper owns
// inner: Shutdown shuts it down.
func WrapMemberlist(inner memberlist.Transport, in *Injector) *Memberlist {
	m := &Memberlist{inner: inner, in: in, packets: make(chan *memberlist.Packet, 64),
		streams: make(chan net.Conn), done: make(chan struct{}), stopped: make(chan struct{})}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		for {
			select {
			case p := <-inner.PacketCh():
				if in.Inbound() {
					continue
				}
				select {
				case m.packets <- p:
				case <-m.done:
				}
			case <-m.stopped:
				return
			}
		}
	}()
	go func() {
		defer m.wg.Done()
		for {
			select {
			case c := <-inner.StreamCh():
				if in.Inbound() {
					_ = c.Close()
					continue
				}
				select {
				case m.streams <- in.Conn(c):
				case <-m.done:
					_ = c.Close()
				}
			case <-m.stopped:
				return
			}
		}
	}()
	return m
}

// FinalAdvertiseAddr returns inner's.
func (m *Memberlist) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return m.inner.FinalAdvertiseAddr(ip, port)
}

// WriteTo counts b and sends it through the fault policy. A dropped packet
// reports success, as a lossy network would.
func (m *Memberlist) WriteTo(b []byte, addr string) (time.Time, error) {
	drop, wait := m.in.Outbound(len(b))
	if drop {
		return time.Now(), nil
	}
	if wait <= 0 {
		return m.inner.WriteTo(b, addr)
	}
	cp := append([]byte(nil), b...)
	later(&m.delayed, m.done, wait, func() { _, _ = m.inner.WriteTo(cp, addr) })
	return time.Now().Add(wait), nil
}

// PacketCh delivers the packets that survive inbound faults.
func (m *Memberlist) PacketCh() <-chan *memberlist.Packet { return m.packets }

// DialTimeout dials through inner unless the member is down.
func (m *Memberlist) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if err := m.in.Dial(); err != nil {
		return nil, err
	}
	c, err := m.inner.DialTimeout(addr, timeout)
	if err != nil {
		return nil, err
	}
	return m.in.Conn(c), nil
}

// StreamCh delivers accepted streams that survive inbound faults.
func (m *Memberlist) StreamCh() <-chan net.Conn { return m.streams }

// Shutdown stops the filters and shuts inner down. Shutdown after Shutdown
// is a no-op.
func (m *Memberlist) Shutdown() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		m.delayed.Wait()
		err = m.inner.Shutdown()
		close(m.stopped)
		m.wg.Wait()
	})
	return err
}
