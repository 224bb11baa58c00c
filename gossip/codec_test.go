package gossip_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/gossip/wire"
)

// hexCodec is a test codec: the binary format, hex-encoded, so that a Node
// has to transcode every packet and stream.
type hexCodec struct{}

func (hexCodec) Name() string { return "hex" }
func (hexCodec) Encode(m []wire.Message) ([]byte, error) {
	b, err := gossip.BinaryCodec{}.Encode(m)
	return []byte(hex.EncodeToString(b)), err
}
func (hexCodec) Decode(b []byte) ([]wire.Message, error) {
	raw, err := hex.DecodeString(string(b))
	if err != nil {
		return nil, err
	}
	return gossip.BinaryCodec{}.Decode(raw)
}

func TestBinaryCodec(t *testing.T) {
	var c gossip.Codec = gossip.BinaryCodec{}
	if c.Name() != "binary" {
		t.Error(c.Name())
	}
	b, err := c.Encode([]wire.Message{&wire.Ack{Seq: 3}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Decode(b)
	if err != nil || len(m) != 1 || m[0].(*wire.Ack).Seq != 3 {
		t.Fatalf("Decode = %v, %v", m, err)
	}
	if _, err := c.Encode([]wire.Message{&wire.Alive{ID: string(make([]byte, 300))}}); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("oversized id encoded: %v", err)
	}
}

func TestNodeWithCodecAndMeet(t *testing.T) {
	gossiptest.Check(t)
	net := memnet.New(3)
	var errs []error
	errc := make(chan error, 100)
	opts := []gossip.Option{gossip.WithCodec(hexCodec{}), gossip.WithStreamTimeout(time.Second),
		gossip.WithErrorHandler(func(err error) {
			select {
			case errc <- err:
			default:
			}
		})}
	a := startNode(t, net, "a", opts...)
	b := startNode(t, net, "b", opts...)
	if err := b.Meet(a.LocalNode()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a and b see each other", func() bool {
		return len(a.LiveMembers()) == 2 && len(b.LiveMembers()) == 2
	})
	// A packet in the wrong codec is rejected and reported.
	raw := net.Transport("raw")
	if err := raw.Start(context.Background(), gossiptest.NewSink()); err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.WritePacket(context.Background(), "a", wire.Encode(&wire.Ack{Seq: 1}))
	_ = raw.WritePacket(context.Background(), "a", []byte(hex.EncodeToString([]byte{9, 9})))
	eventually(t, 5*time.Second, "decode errors counted", func() bool { return a.Stats().DecodeErrors >= 2 })
	select {
	case err := <-errc:
		errs = append(errs, err)
	default:
	}
	if len(errs) == 0 {
		t.Error("error handler not called")
	}
}

func TestNodeStates(t *testing.T) {
	net := memnet.New(4)
	cfg := gossip.WANConfig()
	cfg.ID = "w"
	n, err := gossip.New(cfg, net.Transport("w"), gossip.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if v := n.LocalNode(); v.ID != "w" {
		t.Errorf("LocalNode before Start: %v", v)
	}
	if n.Members() != nil {
		t.Error("Members before Start")
	}
	if err := n.Join(context.Background(), "x"); !errors.Is(err, gossip.ErrNotRunning) {
		t.Errorf("Join before Start: %v", err)
	}
	ctx := context.Background()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); !errors.Is(err, gossip.ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	if err := n.Broadcast([]byte("x")); err != nil {
		t.Error(err)
	}
	if err := n.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if v := n.LocalNode(); v.ID != "w" {
		t.Errorf("LocalNode after Shutdown: %v", v)
	}
	if len(n.Members()) != 1 {
		t.Error("Members after Shutdown")
	}
	if err := n.Leave(ctx); !errors.Is(err, gossip.ErrNotRunning) {
		t.Errorf("Leave after Shutdown: %v", err)
	}
	s := n.Subscribe(0)
	if _, ok := <-s.C; ok {
		t.Error("subscription after Shutdown is open")
	}
	if _, err := gossip.New(cfg, net.Transport("v"), gossip.WithStreamTimeout(-1)); err == nil {
		t.Error("negative stream timeout accepted")
	}
}
