//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package udp

import (
	"net"

	"github.com/libgossip/libgossip/gossip"
)

// rawSender is the portable fallback: it sends nothing, so every packet
// goes through WritePacket.
type rawSender struct{}

func newRawSender(*net.UDPConn) *rawSender { return &rawSender{} }

func (*rawSender) close() {}

// TryWritePacket always fails with gossip.ErrWouldBlock on this platform:
// packets go through WritePacket (gossip.PacketTryWriter).
func (t *Transport) TryWritePacket(string, []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	return gossip.ErrWouldBlock
}
