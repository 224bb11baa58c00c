package frame_test

import (
	"bytes"
	"fmt"

	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// Two frames on one stream, read back in order.
func Example() {
	var stream bytes.Buffer
	_ = frame.Write(&stream, []byte("push"))
	_ = frame.Write(&stream, []byte("pull"))
	for {
		b, err := frame.Read(&stream, 1024)
		if err != nil {
			fmt.Println("end:", err)
			break
		}
		fmt.Println(string(b))
	}
	// Output:
	// push
	// pull
	// end: EOF
}
