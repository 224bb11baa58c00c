package gossip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/libgossip/libgossip/gossip/core"
)

// Join contacts the given seed addresses and waits until this member has
// merged the cluster's state from at least one of them. It returns within
// the join timeout (WithJoinTimeout, default 5s) even when ctx has no
// deadline. Every error wraps ErrJoin and names the likely cause:
// ErrJoinTimeout (no seed sent its state in time), ErrJoinRefused (a seed
// closed the stream without answering, usually over a key or label
// mismatch), ErrJoinSelf, ErrAuth or ErrLabel (as reported by the
// transport), a dial error, or ctx's error.
//
// A member that has already joined may Join again (to merge with members
// it lost touch with, as periodic rejoin does): the call then returns once
// every seed's request has been written or has failed, and succeeds if at
// least one was written; the seeds answer with their state asynchronously.
func (n *Node) Join(ctx context.Context, seeds ...string) error {
	var joins []core.Outbound
	err := n.call(func(c *core.Core) error {
		if err := c.Join(n.now(), seeds); err != nil {
			return err
		}
		// The join requests are sent from this goroutine, to see how
		// each seed responds; anything else goes out as usual.
		rd := c.Ready()
		for _, o := range rd.Messages {
			if o.Reliable {
				joins = append(joins, o)
			} else {
				n.out.enqueue(o.To, o.Data, false)
			}
		}
		n.emit(rd.Events)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJoin, err)
	}
	if len(joins) == 0 {
		return fmt.Errorf("%w: %w (%s)", ErrJoin, ErrJoinSelf, strings.Join(seeds, ", "))
	}
	select {
	case <-n.selfJoin: // left over from an earlier Join
	default:
	}
	// joined fires when the core first joins; on a member that has joined
	// before it never fires again, and success is a written request.
	joined, rejoin := n.joined, false
	select {
	case <-n.joined:
		joined, rejoin = nil, true
	default:
	}
	jctx, cancel := context.WithTimeout(ctx, n.opts.join)
	stopOnShutdown := context.AfterFunc(n.ctx, cancel)
	defer stopOnShutdown()

	var wg sync.WaitGroup
	errc := make(chan error, len(joins))
	for _, o := range joins {
		wg.Go(func() { errc <- n.joinSeed(jctx, o, rejoin) })
	}
	defer func() {
		cancel() // ends every attempt still waiting
		wg.Wait()
	}()
	var errs []error
	self, written := 0, 0
	for written+len(errs) < len(joins) {
		select {
		case <-joined:
			return nil
		case <-n.selfJoin:
			if self++; self == len(joins) {
				return fmt.Errorf("%w: %w (%s)", ErrJoin, ErrJoinSelf, strings.Join(seeds, ", "))
			}
		case err := <-errc:
			if err == nil {
				written++ // only when rejoining
			} else {
				errs = append(errs, err)
			}
		case <-jctx.Done():
			select {
			case <-joined:
				return nil
			default:
			}
			if written > 0 {
				return nil
			}
			switch {
			case ctx.Err() != nil:
				return fmt.Errorf("%w: %w", ErrJoin, ctx.Err())
			case n.ctx.Err() != nil:
				return fmt.Errorf("%w: %w", ErrJoin, ErrShutdown)
			}
			return fmt.Errorf("%w: %w (%v, from %s; the seed may use another key or cluster label, be another service, or be this node's own address)",
				ErrJoin, ErrJoinTimeout, n.opts.join, strings.Join(seeds, ", "))
		}
	}
	if written > 0 {
		return nil
	}
	select {
	case <-joined:
		return nil
	default:
	}
	return fmt.Errorf("%w: %w", ErrJoin, errors.Join(errs...))
}

// joinSeed sends the join request to one seed over a stream and keeps the
// stream open until ctx ends (the Node joined, or the join timed out). It
// returns early only with an error: the dial or the write failed, or the
// seed closed the stream, which a seed that accepted the request does not
// do until it has answered. With written set (a member that joined before
// and is joining again) it returns nil as soon as the request is written.
func (n *Node) joinSeed(ctx context.Context, o core.Outbound, written bool) error {
	conn, err := n.dialFrame(ctx, o.To, o.Data)
	switch {
	case err == nil:
	case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("seed %s: %w: %w", o.To, ErrJoinTimeout, err)
	case errors.Is(err, errWrite) && !errors.Is(err, ErrAuth) && !errors.Is(err, ErrLabel):
		return fmt.Errorf("seed %s: %w: %w", o.To, ErrJoinRefused, err)
	default:
		return fmt.Errorf("seed %s: %w", o.To, err)
	}
	defer conn.Close()
	if written {
		return nil
	}
	unblock := context.AfterFunc(ctx, func() { conn.Close() })
	defer unblock()
	var b [512]byte
	for {
		_, err := conn.Read(b[:])
		if err == nil {
			continue // this runtime sends its answer on a stream of its own
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, ErrAuth), errors.Is(err, ErrLabel):
			return fmt.Errorf("seed %s: %w", o.To, err)
		case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), !errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("seed %s: %w: %w", o.To, ErrJoinRefused, err)
		}
		return fmt.Errorf("seed %s: %w", o.To, err)
	}
}
