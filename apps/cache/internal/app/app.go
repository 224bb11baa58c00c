// Package app is libgossip-cache's command line: flags to a node.Config,
// run until the context ends, leave, shut down.
package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/node"
)

// Run parses args, starts a node and serves until ctx ends. It writes
// one "ready ..." line to out once serving; logs go to logw.
func Run(ctx context.Context, args []string, out, logw io.Writer) error {
	fs, o := newFlags(logw)
	cfg := &o.cfg
	if err := fs.Parse(args); err != nil {
		return err
	}
	procs := o.procs
	if procs < 0 {
		return fmt.Errorf("-procs %d: want 0 or more", procs)
	}
	if procs > 0 {
		// Process-wide: the process is this one node. Restored on return
		// for callers that run Run in a longer-lived process (tests).
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	if o.join != "" {
		cfg.Seeds = strings.Split(o.join, ",")
	}
	if cfg.Secret == "" {
		cfg.Secret = getenv("LIBGOSSIP_CACHE_SECRET")
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(o.level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: lv}))
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	n, err := node.New(*cfg)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.Start(sctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "ready resp=%s gossip=%s peer=%s http=%s\n", n.RESPAddr(), n.GossipAddr(), n.PeerAddr(), n.HTTPAddr())
	<-ctx.Done()
	lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer lcancel()
	_ = n.Leave(lctx)
	return n.Shutdown(lctx)
}

// options is what the flags set.
type options struct {
	cfg                     node.Config
	join, level, cpuprofile string
	procs                   int
	sysmonAwake             bool
}

// newFlags defines libgossip-cache's flags, writing usage and parse
// errors to logw.
func newFlags(logw io.Writer) (*flag.FlagSet, *options) {
	fs := flag.NewFlagSet("libgossip-cache", flag.ContinueOnError)
	fs.SetOutput(logw)
	o := new(options)
	cfg := &o.cfg
	fs.StringVar(&cfg.ID, "id", "", "member id (default: cache-<internal address>)")
	fs.StringVar(&cfg.RESPAddr, "resp", "127.0.0.1:6380", "Redis protocol listen address")
	fs.StringVar(&cfg.GossipAddr, "gossip", "127.0.0.1:7946", "gossip listen address")
	fs.StringVar(&cfg.PeerAddr, "peer", "127.0.0.1:0", "internal listen address")
	fs.StringVar(&cfg.HTTPAddr, "http", "", "HTTP API listen address (empty: none)")
	fs.IntVar(&cfg.HTTPMaxConns, "http-max-conns", 1024, "maximum open HTTP connections (more wait to be accepted)")
	fs.DurationVar(&cfg.HTTPTimeout, "http-timeout", 30*time.Second, "bound on reading an HTTP request and on writing its response")
	fs.StringVar(&cfg.Advertise, "advertise", "", "host other members reach this one at (default: the listeners')")
	fs.StringVar(&o.join, "join", "", "comma-separated gossip addresses of members to join")
	fs.StringVar(&cfg.Secret, "secret", "", "cluster secret authenticating internal connections (or env LIBGOSSIP_CACHE_SECRET)")
	fs.StringVar(&cfg.Preset, "preset", "lan", "gossip preset: lan, wan or local")
	fs.IntVar(&cfg.Replicas, "replicas", 2, "replication factor R")
	fs.IntVar(&cfg.WriteAcks, "write-acks", 0, "replicas that must have a write before it is acknowledged (default R)")
	fs.Int64Var(&cfg.MaxBytes, "max-bytes", 256<<20, "memory bound of the local store in bytes")
	fs.IntVar(&cfg.Limits.MaxClients, "max-clients", 10000, "maximum connected clients")
	fs.IntVar(&cfg.Limits.MaxBulk, "max-bulk", 16<<20, "maximum bytes of one argument")
	fs.DurationVar(&cfg.Limits.IdleTimeout, "idle-timeout", 0, "close clients idle this long (0: never)")
	fs.Float64Var(&cfg.RebalanceRate, "rebalance-rate", 50000, "keys per second pushed to each member while rebalancing")
	fs.StringVar(&o.level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this file")
	fs.IntVar(&o.procs, "procs", 0, "CPUs running Go code at once (GOMAXPROCS; 0: the runtime's default, all CPUs or env GOMAXPROCS)")
	sysmonFlag(fs, &o.sysmonAwake)
	return fs, o
}
