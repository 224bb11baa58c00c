//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package udp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/stats"
	"github.com/libgossip/libgossip/net/transport"
)

// rawSender sends datagrams on a duplicate of the socket's descriptor with
// plain non-blocking sendto calls, outside Go's poller: a send that would
// wait fails at once with EAGAIN instead of parking the caller, and it
// never queues behind a WritePacket that holds the socket's write lock
// while it waits for buffer space.
type rawSender struct {
	mu    sync.RWMutex // held for reading by each send, for writing by close
	fd    int          // -1 once closed or when the socket could not be duplicated
	inet6 bool         // the socket is AF_INET6 (IPv4 goes v4-mapped)
}

// newRawSender duplicates conn's descriptor. On any failure it returns a
// sender that refuses every packet with gossip.ErrWouldBlock, so that
// WritePacket carries them.
func newRawSender(conn *net.UDPConn) *rawSender {
	r := &rawSender{fd: -1}
	rc, err := conn.SyscallConn()
	if err != nil {
		return r
	}
	_ = rc.Control(func(fd uintptr) {
		sa, err := syscall.Getsockname(int(fd))
		if err != nil {
			return
		}
		switch sa.(type) {
		case *syscall.SockaddrInet4:
		case *syscall.SockaddrInet6:
			r.inet6 = true
		default:
			return
		}
		syscall.ForkLock.RLock()
		nfd, err := syscall.Dup(int(fd))
		if err == nil {
			syscall.CloseOnExec(nfd)
		}
		syscall.ForkLock.RUnlock()
		if err != nil {
			return
		}
		// The descriptions are shared, so this is already set by Go's
		// poller; it is what keeps sendto from waiting.
		if err := syscall.SetNonblock(nfd, true); err != nil {
			_ = syscall.Close(nfd)
			return
		}
		r.fd = nfd
	})
	return r
}

// send sends b to ap without waiting.
func (r *rawSender) send(ap netip.AddrPort, b []byte) error {
	var sa syscall.Sockaddr
	ip := ap.Addr().Unmap()
	switch {
	case r.inet6:
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}
	case ip.Is4():
		sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}
	default:
		return gossip.ErrWouldBlock // let WritePacket report the family mismatch
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.fd < 0 {
		return gossip.ErrWouldBlock
	}
	for {
		err := syscall.Sendto(r.fd, b, 0, sa)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.ENOBUFS):
			return gossip.ErrWouldBlock
		default:
			return err
		}
	}
}

// close closes the duplicate descriptor once no send is using it.
func (r *rawSender) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd >= 0 {
		_ = syscall.Close(r.fd)
		r.fd = -1
	}
}

// TryWritePacket sends b to addr as one datagram if it can without
// waiting (gossip.PacketTryWriter). addr must be a literal "ip:port"; a
// host name, a full socket buffer or an address of the other family fail
// with gossip.ErrWouldBlock, and WritePacket then sends the packet. It
// fails with transport.ErrOversize if b is larger than PacketSize.
func (t *Transport) TryWritePacket(addr string, b []byte) error {
	t.mu.Lock()
	err := t.checkLocked(true)
	raw := t.raw
	t.mu.Unlock()
	if err != nil {
		return err
	}
	if len(b) > t.opts.PacketSize {
		t.c.Drop(stats.Oversize)
		return fmt.Errorf("%w: %d bytes, limit %d", transport.ErrOversize, len(b), t.opts.PacketSize)
	}
	ap, perr := netip.ParseAddrPort(addr)
	if perr != nil {
		return gossip.ErrWouldBlock // needs resolving: WritePacket does it
	}
	if err := raw.send(ap, b); err != nil {
		if errors.Is(err, gossip.ErrWouldBlock) {
			return err
		}
		return fmt.Errorf("net/udp: write to %s: %w", addr, err)
	}
	t.c.PacketOut(len(b))
	return nil
}
