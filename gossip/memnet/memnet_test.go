package memnet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
)

func TestMain(m *testing.M) { gossiptest.VerifyNone(m) }

func TestContract(t *testing.T) {
	n := memnet.New(1)
	i := 0
	gossiptest.RunTransport(t, func(*testing.T) (gossip.Transport, gossip.Transport) {
		i++
		return n.Transport(fmt.Sprintf("a%d", i)), n.Transport(fmt.Sprintf("b%d", i))
	}, gossiptest.Features{Streams: true, ExactFrom: true})
}

func TestPacketsAndStreams(t *testing.T) {
	ctx := context.Background()
	n := memnet.New(1)
	a, b := n.Transport("a"), n.Transport("b")
	sa := gossiptest.StartTransport(t, a)
	sb := gossiptest.StartTransport(t, b)
	_ = sa
	if err := n.Transport("a").Start(ctx, gossiptest.NewSink()); !errors.Is(err, memnet.ErrAddrInUse) {
		t.Errorf("duplicate address: %v", err)
	}
	if err := n.Transport("c").Start(ctx, nil); err == nil {
		t.Error("Start with a nil handler succeeded")
	}
	if a.Addr() != "a" || a.PacketSize() != memnet.DefaultPacketSize {
		t.Error("Addr or PacketSize")
	}
	if err := a.WritePacket(ctx, "b", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if p := gossiptest.Recv(t, sb); string(p.Data) != "hi" || p.From != "a" {
		t.Errorf("got %+v", p)
	}
	if err := a.WritePacket(ctx, "b", make([]byte, memnet.DefaultPacketSize+1)); !errors.Is(err, memnet.ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	if err := a.WritePacket(ctx, "nowhere", nil); !errors.Is(err, memnet.ErrUnreachable) {
		t.Errorf("unknown address: %v", err)
	}
	c, err := a.DialStream(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	s := gossiptest.Accept(t, sb)
	go func() { c.Write([]byte("stream")); c.Close() }()
	got, _ := io.ReadAll(s)
	s.Close()
	if string(got) != "stream" || s.RemoteAddr().String() != "a" || s.RemoteAddr().Network() != "memnet" || c.LocalAddr().String() != "a" {
		t.Errorf("stream got %q from %v", got, s.RemoteAddr())
	}
	n.Cut("b", true)
	if err := a.WritePacket(ctx, "b", nil); !errors.Is(err, memnet.ErrUnreachable) {
		t.Errorf("cut: %v", err)
	}
	if _, err := a.DialStream(ctx, "b"); !errors.Is(err, memnet.ErrUnreachable) {
		t.Errorf("cut stream: %v", err)
	}
	n.Cut("b", false)
	n.SetLoss(1)
	if err := a.WritePacket(ctx, "b", []byte("lost")); err != nil {
		t.Fatal(err)
	}
	gossiptest.NoPacket(t, sb, 0)
	n.SetLoss(0)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx, gossiptest.NewSink()); !errors.Is(err, memnet.ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if err := a.WritePacket(ctx, "b", nil); !errors.Is(err, memnet.ErrUnreachable) {
		t.Errorf("closed peer: %v", err)
	}
	if err := n.Transport("d").WritePacket(ctx, "a", nil); !errors.Is(err, memnet.ErrNotStarted) {
		t.Errorf("unstarted: %v", err)
	}
}
