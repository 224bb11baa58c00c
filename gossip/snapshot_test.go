package gossip_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/gossiptest"
	"github.com/libgossip/libgossip/gossip/memnet"
	"github.com/libgossip/libgossip/gossip/wire"
)

func viewOf(n *gossip.Node, id string) (gossip.NodeView, bool) {
	for _, v := range n.Members() {
		if v.ID == id {
			return v, true
		}
	}
	return gossip.NodeView{}, false
}

// TestMembersSnapshot checks what the snapshot shows and when: a member's
// own metadata at once after SetMeta, in Members as in LocalNode; another
// member's metadata once it arrives; and an incarnation that rises with
// no event at all (an Alive announcing a refutation the reader never
// needed; b refutes it in turn, with a higher one still), which Members
// shows within a gossip interval of being read.
func TestMembersSnapshot(t *testing.T) { synctest.Test(t, testMembersSnapshot) }

func testMembersSnapshot(t *testing.T) {
	network := memnet.New(4)
	a := startNode(t, network, "a")
	b := startNode(t, network, "b")
	if err := b.Join(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a and b see each other", func() bool {
		return len(a.LiveMembers()) == 2 && len(b.LiveMembers()) == 2
	})

	if err := a.SetMeta(map[string]string{"role": "db"}); err != nil {
		t.Fatal(err)
	}
	self, ok := viewOf(a, "a")
	if !ok || self.Meta["role"] != "db" || self.Incarnation != a.LocalNode().Incarnation {
		t.Fatalf("a's own entry in Members right after SetMeta = %+v, want role db at incarnation %d", self, a.LocalNode().Incarnation)
	}
	eventually(t, 10*time.Second, "a's metadata at b", func() bool {
		v, ok := viewOf(b, "a")
		return ok && v.Meta["role"] == "db"
	})

	before, _ := viewOf(a, "b")
	raw := network.Transport("x")
	if err := raw.Start(context.Background(), gossiptest.NewSink()); err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	alive := &wire.Alive{Incarnation: before.Incarnation + 1, ID: "b", Addr: before.Addr}
	if err := raw.WritePacket(context.Background(), "a", wire.Encode(alive)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b's new incarnation at a", func() bool {
		v, ok := viewOf(a, "b")
		return ok && v.Incarnation > before.Incarnation && v.State == gossip.StateAlive
	})
}
