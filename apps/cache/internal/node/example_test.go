package node_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/libgossip/libgossip/apps/cache/internal/node"
)

// A single node: start it, run commands as a client would, shut down.
func Example() {
	n, err := node.New(node.Config{Preset: "local", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := n.Start(ctx); err != nil {
		panic(err)
	}
	defer n.Shutdown(ctx)
	fmt.Printf("%q\n", n.Exec(ctx, 2, [][]byte{[]byte("SET"), []byte("k"), []byte("v")}))
	fmt.Printf("%q\n", n.Exec(ctx, 2, [][]byte{[]byte("INCR"), []byte("n")}))
	fmt.Printf("%q\n", n.Exec(ctx, 2, [][]byte{[]byte("MGET"), []byte("k"), []byte("none")}))
	// Output:
	// "+OK\r\n"
	// ":1\r\n"
	// "*2\r\n$1\r\nv\r\n$-1\r\n"
}
