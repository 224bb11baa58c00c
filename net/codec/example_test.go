package codec_test

import (
	"fmt"

	"github.com/libgossip/libgossip/gossip/wire"
	"github.com/libgossip/libgossip/net/codec"
)

func ExampleLookup() {
	c, err := codec.Lookup("json")
	if err != nil {
		panic(err)
	}
	b, _ := c.Encode([]wire.Message{&wire.Ping{Seq: 7, Source: "n1", Target: "n2"}})
	fmt.Println(string(b))
	msgs, _ := c.Decode(b)
	fmt.Printf("%s %+v\n", msgs[0].Type(), *msgs[0].(*wire.Ping))
	// Output:
	// {"v":1,"msgs":[{"type":"ping","seq":7,"source":"n1","target":"n2"}]}
	// ping {Seq:7 Source:n1 Target:n2 Reliable:false}
}
