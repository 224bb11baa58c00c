package gossip

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// MaxStreamFrame is the largest frame a Node reads from a stream, in bytes
// (frame.MaxSize). A frame's buffer grows with the bytes that arrive, not
// with the length its header claims.
const MaxStreamFrame = frame.MaxSize

// errWrite marks a failure to write on a stream that was opened: the peer
// accepted it, then closed it or stopped reading.
var errWrite = errors.New("gossip: stream write")

// dialFrame opens a stream to to and writes data (a core packet) on it as
// one frame, encoded by the codec, bounded by ctx and the stream timeout.
// The caller closes the stream.
func (n *Node) dialFrame(ctx context.Context, to string, data []byte) (net.Conn, error) {
	data, err := n.encode(data)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.streamIO)
	defer cancel()
	conn, err := n.tr.DialStream(ctx, to)
	if err != nil {
		return nil, err
	}
	// A peer that accepts but does not read must not hold the write past
	// ctx: closing the stream unblocks it.
	unblock := context.AfterFunc(ctx, func() { conn.Close() })
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(d)
	}
	err = frame.Write(conn, data)
	if !unblock() || err != nil {
		conn.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", errWrite, err)
	}
	return conn, nil
}

// sendStream delivers one core packet over a stream of its own.
func (n *Node) sendStream(ctx context.Context, to string, data []byte) error {
	conn, err := n.dialFrame(ctx, to, data)
	if err != nil {
		return err
	}
	return conn.Close()
}
