package peer

import (
	"net"
	"runtime"
	"sync"
)

// maxQueued is the bytes of frames a batchWriter queues before senders
// wait for it to write them out (a frame larger than this still goes
// alone).
const maxQueued = 4 << 20

// busyBytes is the bytes queued or being written on a connection above
// which a Pool prefers another connection to the same peer.
const busyBytes = 64 << 10

// maxKeptBuf is the capacity of a batchWriter buffer kept for reuse.
const maxKeptBuf = 1 << 20

// batchWriter coalesces the frames of many goroutines into few writes:
// senders append to a queue, and one goroutine writes out whatever has
// queued, so frames queued while it writes go out together next time.
// A goroutine that sends several frames one after another and knows
// when it is done (a connection's reading goroutine answering the
// requests it has read) queues them with sendLater and writes them out
// itself with writeNow: one write, and no wakeup of the writing
// goroutine (each wakeup can cost a thread's sleep and wakeup).
type batchWriter struct {
	nc    net.Conn
	mu    sync.Mutex
	cond  sync.Cond // signalled when the queue is taken
	queue []byte
	spare []byte
	out   int // bytes of the writes in progress
	err   error
	wake  chan struct{} // capacity 1: there is something to write
	quit  chan struct{} // closed by stop
	done  chan struct{} // closed when the writing goroutine returns
	once  sync.Once
}

func newBatchWriter(nc net.Conn) *batchWriter {
	w := &batchWriter{nc: nc, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	w.cond.L = &w.mu
	go w.loop()
	return w
}

// send queues one frame and wakes the writing goroutine; it reports an
// earlier write error, after which nothing more is sent.
func (w *batchWriter) send(typ byte, id uint64, payload []byte) error {
	if err := w.sendLater(typ, id, payload); err != nil {
		return err
	}
	w.kick()
	return nil
}

// kick wakes the writing goroutine unless it is already to wake.
func (w *batchWriter) kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// sendLater queues one frame without waking the writing goroutine: the
// caller writes the queue out soon after (writeNow), and frames queued
// meanwhile go in the same write. It may block while the queue is above
// maxQueued.
func (w *batchWriter) sendLater(typ byte, id uint64, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) > 0 && len(w.queue)+len(payload) > maxQueued && w.err == nil {
		w.kick() // the queue may hold only frames queued by sendLater
		w.cond.Wait()
	}
	if w.err != nil {
		return w.err
	}
	w.queue = appendHeader(w.queue, typ, id, len(payload))
	w.queue = append(w.queue, payload...)
	return nil
}

// writeNow writes out the queue on the caller's goroutine (no wakeup of
// the writing goroutine; a write in progress there does not matter, as
// each frame goes whole in one write) and reports whether the
// connection is still good.
func (w *batchWriter) writeNow() bool {
	w.mu.Lock()
	closed, empty := w.err != nil, len(w.queue) == 0
	w.mu.Unlock()
	if closed || empty {
		return !closed
	}
	return w.flush()
}

func (w *batchWriter) loop() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
			// Let the goroutines that are ready to send queue their
			// frames first: they go out in this write.
			runtime.Gosched()
			if !w.flush() {
				return
			}
		case <-w.quit:
			w.flush()
			w.mu.Lock()
			if w.err == nil {
				w.err = ErrClosed
			}
			w.cond.Broadcast()
			w.mu.Unlock()
			return
		}
	}
}

// flush writes out the queue and reports whether the connection is
// still good.
func (w *batchWriter) flush() bool {
	w.mu.Lock()
	b := w.queue
	w.queue = w.spare[:0]
	w.spare = nil
	w.out += len(b)
	w.cond.Broadcast()
	w.mu.Unlock()
	if len(b) == 0 {
		w.keep(b, 0)
		return true
	}
	_, err := w.nc.Write(b)
	w.keep(b, len(b))
	if err != nil {
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.cond.Broadcast()
		w.mu.Unlock()
		_ = w.nc.Close()
		return false
	}
	return true
}

// keep ends a write of n bytes from b and keeps b for reuse unless it
// is large.
func (w *batchWriter) keep(b []byte, n int) {
	w.mu.Lock()
	w.out -= n
	if cap(b) <= maxKeptBuf {
		w.spare = b[:0]
	}
	w.mu.Unlock()
}

// load is the bytes queued or being written.
func (w *batchWriter) load() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue) + w.out
}

// stop writes out what is queued and ends the writing goroutine; it
// does not wait for it (see done).
func (w *batchWriter) stop() {
	w.once.Do(func() { close(w.quit) })
}
