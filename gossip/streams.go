package gossip

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// MaxStreamFrame is the largest frame a Node reads from a stream, in bytes.
const MaxStreamFrame = 32 << 20

// errWrite marks a failure to write on a stream that was opened: the peer
// accepted it, then closed it or stopped reading.
var errWrite = errors.New("gossip: stream write")

// maxInboundStreams bounds the streams a Node reads at once; more are
// closed on arrival.
const maxInboundStreams = 256

func writeFrame(w io.Writer, b []byte) error {
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], uint32(len(b)))
	if _, err := w.Write(append(h[:], b...)); err != nil {
		return err
	}
	return nil
}

func readFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	l := binary.BigEndian.Uint32(h[:])
	if l > MaxStreamFrame {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, l, MaxStreamFrame)
	}
	b := make([]byte, l)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

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
	err = writeFrame(conn, data)
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

// acceptStream takes ownership of an inbound stream and reads it on a
// goroutine of its own until the peer closes it, a read times out, or the
// Node shuts down.
func (n *Node) acceptStream(conn net.Conn) {
	n.mu.Lock()
	if n.state != stateRunning || len(n.conns) >= maxInboundStreams {
		n.mu.Unlock()
		conn.Close()
		return
	}
	n.conns[conn] = struct{}{}
	n.wg.Add(1)
	n.mu.Unlock()
	go n.readStream(conn)
}

func (n *Node) readStream(conn net.Conn) {
	defer n.wg.Done()
	defer func() {
		n.mu.Lock()
		delete(n.conns, conn)
		n.mu.Unlock()
		conn.Close()
	}()
	from := conn.RemoteAddr().String()
	for {
		_ = conn.SetReadDeadline(time.Now().Add(n.opts.streamIO))
		b, err := readFrame(conn)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				n.report(&n.streamErrors, fmt.Errorf("gossip: stream from %s: %w", from, err))
			}
			return
		}
		select {
		case n.inbound <- input{from: from, data: b, stream: true}:
		case <-n.done:
			return
		}
	}
}
