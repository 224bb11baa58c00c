// Command libgossip-job runs a member of a distributed job scheduler that
// starts every scheduled run exactly once (see docs/job.md), and is its
// command-line client.
//
//	libgossip-job agent -id a -gossip 10.0.0.1:7946 -api 10.0.0.1:8080 -data /var/lib/job -expect 3 -join 10.0.0.2:7946
//	libgossip-job put     -api HOST:PORT job.json     add or update a job (JSON spec)
//	libgossip-job list    -api HOST:PORT
//	libgossip-job get     -api HOST:PORT NAME
//	libgossip-job delete  -api HOST:PORT NAME
//	libgossip-job run     -api HOST:PORT NAME         run now
//	libgossip-job history -api HOST:PORT NAME         runs: executor, status, duration, output tail
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // time zones in a FROM scratch image, the same on every member

	"github.com/libgossip/libgossip/apps/job/internal/job"
	"github.com/libgossip/libgossip/apps/job/internal/node"
	"github.com/libgossip/libgossip/cluster/raft"
	"github.com/libgossip/libgossip/gossip"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "libgossip-job:", err)
		os.Exit(1)
	}
}

const usage = "usage: libgossip-job agent|put|list|get|delete|run|history [flags] [args]"

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, args := args[0], args[1:]
	if cmd == "agent" {
		return agent(args)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	api := fs.String("api", envOr("LIBGOSSIP_JOB_API", "127.0.0.1:8080"), "a member's API address (env LIBGOSSIP_JOB_API)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	base := "http://" + *api + "/v1/jobs"
	arg := func() (string, error) {
		if fs.NArg() != 1 {
			return "", fmt.Errorf("%s needs one argument", cmd)
		}
		return fs.Arg(0), nil
	}
	switch cmd {
	case "put":
		path, err := arg()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var s job.Spec
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return call(out, http.MethodPut, base+"/"+s.Name, b, nil)
	case "list":
		var jobs []node.JobInfo
		if err := call(nil, http.MethodGet, base, nil, &jobs); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSCHEDULE\tNEXT\tDISABLED")
		for _, j := range jobs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", j.Spec.Name, j.Spec.Schedule, j.NextAt.Format(time.RFC3339), j.Spec.Disabled)
		}
		return tw.Flush()
	case "get", "delete", "run":
		name, err := arg()
		if err != nil {
			return err
		}
		method, url := map[string]string{"get": http.MethodGet, "delete": http.MethodDelete, "run": http.MethodPost}[cmd], base+"/"+name
		if cmd == "run" {
			url += "/run"
		}
		return call(out, method, url, nil, nil)
	case "history":
		name, err := arg()
		if err != nil {
			return err
		}
		var runs []job.Run
		if err := call(nil, http.MethodGet, base+"/"+name+"/runs", nil, &runs); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCHEDULED\tATTEMPT\tEXECUTOR\tSTATUS\tDURATION\tOUTPUT")
		for _, r := range runs {
			tail := strings.TrimSpace(r.Output)
			if i := strings.LastIndexByte(tail, '\n'); i >= 0 {
				tail = tail[i+1:]
			}
			for _, alt := range []string{r.Error, r.Reason} {
				if tail == "" {
					tail = alt
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%v\t%s\n", r.At.Format(time.RFC3339Nano), r.Attempt, r.Executor, r.Status, r.Duration(), tail)
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown command %q; %s", cmd, usage)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// call sends one API request (following a redirect to the leader) and
// prints the JSON answer to out, or decodes it into v.
func call(out io.Writer, method, url string, body []byte, v any) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	cl := &http.Client{Timeout: 30 * time.Second}
	defer cl.CloseIdleConnections()
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, url, res.Status, strings.TrimSpace(string(b)))
	}
	if v != nil {
		return json.Unmarshal(b, v)
	}
	if out != nil {
		_, err = out.Write(b)
	}
	return err
}

// agent runs a member until SIGINT or SIGTERM.
func agent(args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	id := fs.String("id", "", "member id (required, unique)")
	gaddr := fs.String("gossip", "127.0.0.1:7946", "gossip bind address host:port")
	api := fs.String("api", "127.0.0.1:8080", "job API bind address host:port")
	raftAddr := fs.String("raft", "", "raft bind address host:port (default: gossip host, any port)")
	data := fs.String("data", "", "data directory (required)")
	join := fs.String("join", "", "comma-separated gossip addresses to join")
	expect := fs.Int("expect", 0, "bootstrap once this many servers are alive (0: join an existing cluster)")
	tags := fs.String("tags", "", "comma-separated key=value tags, matched by jobs' tags")
	preset := fs.String("preset", "lan", "gossip preset: lan, wan or local")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *data == "" {
		return errors.New("agent needs -id and -data")
	}
	tagMap := map[string]string{}
	for _, kv := range strings.Split(*tags, ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("tag %q: want key=value", kv)
		}
		tagMap[k] = v
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := gossip.Preset(*preset)
	if err != nil {
		return err
	}
	cfg.ID = *id
	tr, err := lgnet.New("hybrid://"+*gaddr, lgnet.WithLogger(log))
	if err != nil {
		return err
	}
	g, err := gossip.New(cfg, tr, gossip.WithLogger(log))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := g.Start(ctx); err != nil {
		return err
	}
	ropts := []raft.Option{raft.WithBootstrapExpect(*expect)}
	if *raftAddr != "" {
		ropts = append(ropts, raft.WithBindAddr(*raftAddr))
	}
	n, err := node.New(g, *data, node.WithAPIAddr(*api), node.WithTags(tagMap), node.WithLogger(log), node.WithRaftOptions(ropts...))
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	if *join != "" {
		if err := g.Join(ctx, strings.Split(*join, ",")...); err != nil {
			log.Warn("join failed", "err", err)
		}
	}
	log.Info("libgossip-job agent running", "node_id", *id, "api", n.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if srv := n.Raft(); srv != nil {
		_ = srv.Leave(sctx)
	}
	return errors.Join(n.Shutdown(sctx), g.Leave(sctx), g.Shutdown(sctx))
}
