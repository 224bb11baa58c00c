package resp

import (
	"sync/atomic"

	"github.com/tidwall/redcon"
)

// maxKeptOut is the capacity of a client's reply buffer kept between
// batches; a larger one (a batch of large replies) is dropped.
const maxKeptOut = 64 << 10

// Out collects the replies of one client's batch. An executor appends
// complete replies to B (with the Append functions) and calls Mark after
// each; the server writes B out in order. Once B holds more than the
// client's output limit, Mark writes it out mid-pipeline.
type Out struct {
	// B holds the replies not yet handed to the connection.
	B []byte

	c        redcon.DetachedConn
	max      int
	handed   int // bytes handed to the connection since it was flushed
	overflow *atomic.Uint64
	failed   bool // a mid-pipeline write failed; the client is closed
}

func (o *Out) start(c redcon.DetachedConn, max int, overflow *atomic.Uint64) {
	o.c, o.max, o.overflow, o.failed, o.handed = c, max, overflow, false, 0
	o.B = o.B[:0]
}

// Mark tells the server that B ends with a complete reply: once the
// replies not yet sent pass the output limit, they are written out now.
func (o *Out) Mark() {
	if o.handed+len(o.B) <= o.max || o.c == nil || o.failed {
		return
	}
	o.writeOut()
	o.handed = 0
	o.overflow.Add(1)
	if err := o.c.Flush(); err != nil {
		o.failed = true
		_ = o.c.Close()
	}
}

// writeOut hands B to the connection's buffer.
func (o *Out) writeOut() {
	if len(o.B) > 0 && !o.failed {
		o.c.WriteRaw(o.B)
		o.handed += len(o.B)
	}
	o.B = o.B[:0]
}

func (o *Out) end() {
	if cap(o.B) > maxKeptOut {
		o.B = nil
	}
	o.c = nil
}
