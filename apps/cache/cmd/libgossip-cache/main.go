// Command libgossip-cache runs one member of a distributed cache that
// speaks the Redis protocol. Run several and join them with -join:
//
//	libgossip-cache -resp 127.0.0.1:6380 -gossip 127.0.0.1:7946
//	libgossip-cache -resp 127.0.0.1:6381 -gossip 127.0.0.1:7947 -join 127.0.0.1:7946
//	redis-cli -p 6381 set k v
//
// It prints "ready resp=ADDR gossip=ADDR peer=ADDR" on stdout once it
// serves, and exits on SIGINT or SIGTERM after leaving the cluster.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/libgossip/libgossip/apps/cache/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Stdout, io.Writer(os.Stderr)); err != nil {
		fmt.Fprintln(os.Stderr, "libgossip-cache:", err)
		os.Exit(1)
	}
}
