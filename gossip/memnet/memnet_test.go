package memnet_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/libgossip/libgossip/gossip/memnet"
)

func TestPacketsAndStreams(t *testing.T) {
	ctx := context.Background()
	n := memnet.New(1)
	a, b := n.Transport("a"), n.Transport("b")
	for _, tr := range []*memnet.Transport{a, b} {
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Transport("a").Start(ctx); !errors.Is(err, memnet.ErrAddrInUse) {
		t.Errorf("duplicate address: %v", err)
	}
	if a.Addr() != "a" || a.PacketSize() != memnet.DefaultPacketSize {
		t.Error("Addr or PacketSize")
	}
	if err := a.WritePacket(ctx, "b", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if p := <-b.Packets(); string(p.Data) != "hi" || p.From != "a" {
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
	s := <-b.Streams()
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
	select {
	case p := <-b.Packets():
		t.Errorf("packet %q arrived with loss 1", p.Data)
	default:
	}
	n.SetLoss(0)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Error("second Close failed")
	}
	if _, ok := <-b.Packets(); ok {
		t.Error("Packets not closed")
	}
	if err := b.Start(ctx); !errors.Is(err, memnet.ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if err := a.WritePacket(ctx, "b", nil); !errors.Is(err, memnet.ErrUnreachable) {
		t.Errorf("closed peer: %v", err)
	}
	a.Close()
}
