package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/libgossip/libgossip/apps/agent/internal/agent"
)

// newFlags returns a flag set for a subcommand with the client flags and,
// when withFormat, -format text|json.
func newFlags(name string, env Env, withFormat bool) (*flag.FlagSet, func() *client, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cl := clientFlags(fs, env)
	var format *string
	if withFormat {
		format = fs.String("format", "text", "output format: text or json")
	}
	return fs, cl, format
}

func checkFormat(f *string) error {
	if f != nil && *f != "text" && *f != "json" {
		return usagef("-format %q: want text or json", *f)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func tagString(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, ",")
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func cmdMembers(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("members", env, true)
	status := fs.String("status", "", "only members with this status (alive, suspect, failed, left)")
	name := fs.String("name", "", "only members whose name matches this regular expression")
	var tags multi
	fs.Var(&tags, "tag", "only members with tag key=regexp (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	q := url.Values{}
	if *status != "" {
		q.Set("status", *status)
	}
	if *name != "" {
		q.Set("name", *name)
	}
	for _, t := range tags {
		if !strings.Contains(t, "=") {
			return usagef("-tag %q: want key=value", t)
		}
		q.Add("tag", t)
	}
	var ms []agent.Member
	if err := cl().do(ctx, "GET", "/v1/members?"+q.Encode(), nil, &ms); err != nil {
		return err
	}
	if *format == "json" {
		return printJSON(env.Stdout, ms)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 8, 2, ' ', 0)
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Addr, m.Status, tagString(m.Tags))
	}
	return tw.Flush()
}

func cmdJoin(ctx context.Context, env Env, args []string) error {
	fs, cl, _ := newFlags("join", env, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("join: want at least one address")
	}
	var out map[string]int
	if err := cl().do(ctx, "POST", "/v1/join", map[string]any{"addrs": fs.Args()}, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "joined through %d address(es)\n", out["joined"])
	return nil
}

func cmdLeave(ctx context.Context, env Env, args []string) error {
	fs, cl, _ := newFlags("leave", env, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := cl().do(ctx, "POST", "/v1/leave", nil, nil); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "left the cluster; the agent is shutting down")
	return nil
}

func cmdForceLeave(ctx context.Context, env Env, args []string) error {
	fs, cl, _ := newFlags("force-leave", env, false)
	prune := fs.Bool("prune", false, "also remove the member from member lists")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("force-leave: want exactly one member name")
	}
	if err := cl().do(ctx, "POST", "/v1/force-leave", map[string]any{"node": fs.Arg(0), "prune": *prune}, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "forced %s to leave\n", fs.Arg(0))
	return nil
}

func cmdEvent(ctx context.Context, env Env, args []string) error {
	fs, cl, _ := newFlags("event", env, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usagef("event: want NAME [PAYLOAD]")
	}
	if err := cl().do(ctx, "POST", "/v1/event", map[string]string{"name": fs.Arg(0), "payload": fs.Arg(1)}, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "event %s sent\n", fs.Arg(0))
	return nil
}

func cmdQuery(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("query", env, true)
	timeout := fs.Duration("timeout", 2*time.Second, "how long to collect answers")
	var nodes, tags multi
	fs.Var(&nodes, "node", "only this member answers (repeatable)")
	fs.Var(&tags, "tag", "only members with tag key=value answer (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usagef("query: want NAME [PAYLOAD]")
	}
	tm := map[string]string{}
	for _, t := range tags {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return usagef("-tag %q: want key=value", t)
		}
		tm[k] = v
	}
	body := map[string]any{"name": fs.Arg(0), "payload": fs.Arg(1), "nodes": []string(nodes), "tags": tm, "timeout": timeout.String()}
	var rs []agent.QueryResult
	if err := cl().do(ctx, "POST", "/v1/query", body, &rs); err != nil {
		return err
	}
	if *format == "json" {
		return printJSON(env.Stdout, rs)
	}
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(env.Stdout, "%s\terror: %s\n", r.From, r.Error)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s\t%s\n", r.From, r.Payload)
	}
	fmt.Fprintf(env.Stdout, "%d response(s)\n", len(rs))
	return nil
}

func cmdTags(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("tags", env, true)
	var set, del multi
	fs.Var(&set, "set", "set tag key=value (repeatable)")
	fs.Var(&del, "delete", "delete tag key (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var tags map[string]string
	if len(set) == 0 && len(del) == 0 {
		if err := cl().do(ctx, "GET", "/v1/tags", nil, &tags); err != nil {
			return err
		}
	} else {
		sm := map[string]string{}
		for _, s := range set {
			k, v, ok := strings.Cut(s, "=")
			if !ok || k == "" {
				return usagef("-set %q: want key=value", s)
			}
			sm[k] = v
		}
		if err := cl().do(ctx, "POST", "/v1/tags", map[string]any{"set": sm, "delete": []string(del)}, &tags); err != nil {
			return err
		}
	}
	if *format == "json" {
		return printJSON(env.Stdout, tags)
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(env.Stdout, "%s=%s\n", k, tags[k])
	}
	return nil
}

func cmdKeys(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("keys", env, true)
	install := fs.String("install", "", "install this base64 key on every member")
	use := fs.String("use", "", "make this installed key primary on every member")
	remove := fs.String("remove", "", "remove this key from every member")
	list := fs.Bool("list", false, "list the keys installed across the cluster")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	op, key, n := "", "", 0
	for _, c := range []struct {
		set bool
		op  string
		key string
	}{{*install != "", "install", *install}, {*use != "", "use", *use}, {*remove != "", "remove", *remove}, {*list, "list", ""}} {
		if c.set {
			op, key, n = c.op, c.key, n+1
		}
	}
	if n != 1 {
		return usagef("keys: want exactly one of -install, -use, -remove, -list")
	}
	var res agent.KeysResult
	if err := cl().do(ctx, "POST", "/v1/keys", map[string]string{"op": op, "key": key}, &res); err != nil {
		return err
	}
	if *format == "json" {
		if err := printJSON(env.Stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "%s: %d member(s) answered, %d failed\n", op, res.Members, len(res.Failed))
		for _, fp := range sortedKeys(res.Keys) {
			fmt.Fprintf(env.Stdout, "key %s\tinstalled on %d\tprimary on %d\n", fp, res.Keys[fp], res.Primary[fp])
		}
		for _, m := range sortedKeys(res.Failed) {
			fmt.Fprintf(env.Stdout, "failed %s: %s\n", m, res.Failed[m])
		}
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("keys %s failed on %d member(s)", op, len(res.Failed))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func cmdKV(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("kv", env, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	a := fs.Args()
	if len(a) == 0 {
		return usagef("kv: want get KEY, put KEY VALUE, delete KEY or list [PREFIX]")
	}
	c := cl()
	switch {
	case a[0] == "get" && len(a) == 2:
		var e agent.KVEntry
		if err := c.do(ctx, "GET", "/v1/kv/"+url.PathEscape(a[1]), nil, &e); err != nil {
			return err
		}
		if *format == "json" {
			return printJSON(env.Stdout, e)
		}
		fmt.Fprintln(env.Stdout, e.Value)
	case a[0] == "put" && len(a) == 3:
		var e agent.KVEntry
		if err := c.do(ctx, "PUT", "/v1/kv/"+url.PathEscape(a[1]), []byte(a[2]), &e); err != nil {
			return err
		}
		if *format == "json" {
			return printJSON(env.Stdout, e)
		}
		fmt.Fprintf(env.Stdout, "put %s\n", a[1])
	case a[0] == "delete" && len(a) == 2:
		if err := c.do(ctx, "DELETE", "/v1/kv/"+url.PathEscape(a[1]), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "deleted %s\n", a[1])
	case a[0] == "list" && len(a) <= 2:
		prefix := ""
		if len(a) == 2 {
			prefix = a[1]
		}
		var es []agent.KVEntry
		if err := c.do(ctx, "GET", "/v1/kv/?prefix="+url.QueryEscape(prefix), nil, &es); err != nil {
			return err
		}
		if *format == "json" {
			return printJSON(env.Stdout, es)
		}
		for _, e := range es {
			fmt.Fprintf(env.Stdout, "%s=%s\n", e.Key, e.Value)
		}
	default:
		return usagef("kv: want get KEY, put KEY VALUE, delete KEY or list [PREFIX]")
	}
	return nil
}

func cmdLeader(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("leader", env, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var l agent.Leader
	if err := cl().do(ctx, "GET", "/v1/leader", nil, &l); err != nil {
		return err
	}
	if *format == "json" {
		return printJSON(env.Stdout, l)
	}
	if l.Leader == "" {
		return fmt.Errorf("no leader for election %s", l.Election)
	}
	fmt.Fprintf(env.Stdout, "%s\ttoken=%d\tself=%t\n", l.Leader, l.Token, l.Self)
	return nil
}

func cmdInfo(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("info", env, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var raw json.RawMessage
	if err := cl().do(ctx, "GET", "/v1/info", nil, &raw); err != nil {
		return err
	}
	if *format == "json" {
		_, err := env.Stdout.Write(raw)
		return err
	}
	var in agent.Info
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "name\t%s\naddr\t%s\nhttp\t%s\npreset\t%s\nencrypted\t%t\n", in.Self.Name, in.Self.Addr, in.HTTP, in.Preset, in.Encrypted)
	for _, s := range sortedKeys(in.Members) {
		fmt.Fprintf(env.Stdout, "members.%s\t%d\n", s, in.Members[s])
	}
	return nil
}

func cmdReload(ctx context.Context, env Env, args []string) error {
	fs, cl, _ := newFlags("reload", env, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := cl().do(ctx, "POST", "/v1/reload", nil, nil); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "configuration reloaded")
	return nil
}

func cmdMonitor(ctx context.Context, env Env, args []string) error {
	fs, cl, format := newFlags("monitor", env, true)
	types := fs.String("types", "", "comma-separated event types (member-join, member-leave, member-failed, member-update, user, log); default all but log")
	logs := fs.Bool("logs", false, "include the agent's log records")
	count := fs.Int("n", 0, "exit after this many events (0: run until interrupted)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	t := *types
	if *logs {
		if t == "" {
			t = "member-join,member-leave,member-failed,member-update,user"
		}
		t += ",log"
	}
	ctx, cancel := signal.NotifyContext(ctx, os.Interrupt)
	defer cancel()
	seen := 0
	errDone := fmt.Errorf("done")
	err := cl().stream(ctx, t, func(data []byte) error {
		if *format == "json" {
			fmt.Fprintln(env.Stdout, string(data))
		} else {
			var e agent.Event
			if json.Unmarshal(data, &e) == nil {
				fmt.Fprintln(env.Stdout, e.String())
			}
		}
		seen++
		if *count > 0 && seen >= *count {
			return errDone
		}
		return nil
	})
	if err == errDone {
		return nil
	}
	return err
}
