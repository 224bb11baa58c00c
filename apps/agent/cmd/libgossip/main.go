// Command libgossip runs a libgossip agent (a member of a cluster) and
// talks to a running one over its HTTP API:
//
//	libgossip agent -node a -bind 0.0.0.0:7946 -join dns+agents:7946
//	libgossip members -status alive -format json
//	libgossip kv put config/x 1
//
// See docs/agent.md for every command, the HTTP API, the configuration
// file and the exit codes (0 ok, 1 error, 2 usage).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/libgossip/libgossip/apps/agent/internal/cli"
)

func main() {
	sigs := make(chan os.Signal, 4)
	if len(os.Args) > 1 && os.Args[1] == "agent" {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	}
	os.Exit(cli.Main(context.Background(), cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Signals: sigs}, os.Args[1:]))
}
