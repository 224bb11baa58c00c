// Command libgossip-cache runs one member of a distributed cache that
// speaks the Redis protocol. Run several and join them with -join:
//
//	libgossip-cache -resp 127.0.0.1:6380 -gossip 127.0.0.1:7946
//	libgossip-cache -resp 127.0.0.1:6381 -gossip 127.0.0.1:7947 -join 127.0.0.1:7946
//	redis-cli -p 6381 set k v
//
// It prints "ready resp=ADDR gossip=ADDR peer=ADDR" on stdout once it
// serves, and exits on SIGINT or SIGTERM after leaving the cluster.
//
// At start it executes itself again, same process, with GODEBUG's
// schedtrace set (app.SysmonGODEBUG), unless -sysmon-awake=false or
// GODEBUG already sets schedtrace: the Go runtime's monitor thread then
// stays out of the deep sleep that costs a busy cluster node about a
// third of its throughput (README).
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
	if env, again := app.RuntimeEnv(os.Args[1:], os.Environ()); again {
		// Returns only if the process could not be replaced; it then
		// runs as it is.
		if err := reexec(env); err != nil {
			fmt.Fprintln(os.Stderr, "libgossip-cache: running without", app.SysmonGODEBUG+":", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Stdout, io.Writer(os.Stderr)); err != nil {
		fmt.Fprintln(os.Stderr, "libgossip-cache:", err)
		os.Exit(1)
	}
}
