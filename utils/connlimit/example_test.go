package connlimit_test

import (
	"fmt"
	"net"

	"github.com/libgossip/libgossip/utils/connlimit"
)

func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	lim, err := connlimit.New(ln, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lim.Close()

	client, err := net.Dial("tcp", lim.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	server, err := lim.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("open:", lim.Open(), "of", lim.Limit())
	server.Close()
	fmt.Println("open after close:", lim.Open())
	// Output:
	// open: 1 of 1
	// open after close: 0
}
