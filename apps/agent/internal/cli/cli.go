package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/libgossip/libgossip/apps/agent/internal/agent"
)

// Exit codes, documented in docs/agent.md.
const (
	ExitOK    = 0 // success
	ExitError = 1 // the agent is unreachable, refused the request, or failed
	ExitUsage = 2 // bad command line
)

// Env holds what a command reads and writes besides its arguments.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (os.Getenv by default).
	Getenv func(string) string
	// Signals delivers SIGINT, SIGTERM and SIGHUP to the agent command;
	// nil means no signal arrives.
	Signals <-chan os.Signal
}

// usageError is a command-line mistake (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"agent":       {"run an agent", runAgent},
		"members":     {"list members", cmdMembers},
		"join":        {"join the agent to members", cmdJoin},
		"leave":       {"make the agent leave the cluster and exit", cmdLeave},
		"force-leave": {"mark a failed member as left", cmdForceLeave},
		"event":       {"send a user event", cmdEvent},
		"query":       {"send a query and print the answers", cmdQuery},
		"tags":        {"show, set or delete this agent's tags", cmdTags},
		"keys":        {"manage the encryption keys of the cluster", cmdKeys},
		"kv":          {"read and write the replicated key/value store", cmdKV},
		"leader":      {"show the elected leader", cmdLeader},
		"monitor":     {"stream events and logs", cmdMonitor},
		"info":        {"show the agent's state", cmdInfo},
		"reload":      {"reload the agent's configuration (like SIGHUP)", cmdReload},
	}
}

// Main runs the command line args (without the program name) and returns
// the process exit code. Errors are printed to Stderr as
// "libgossip: error: MESSAGE", usage mistakes as "libgossip: usage: ...".
func Main(ctx context.Context, env Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "--help" {
		printUsage(env.Stderr, cmds)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "libgossip: usage: unknown command %q\n", args[0])
		printUsage(env.Stderr, cmds)
		return ExitUsage
	}
	err := c.run(ctx, env, args[1:])
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "libgossip: usage: %s\n", ue.msg)
		return ExitUsage
	case errors.Is(err, errFlags):
		return ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "libgossip: error: %s\n", err)
		return ExitError
	}
}

func printUsage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: libgossip COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'libgossip COMMAND -h' for a command's flags")
}

// errFlags marks a flag parse failure already reported by the flag package.
var errFlags = errors.New("flags")

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlags
	}
	return nil
}

// runAgent runs an agent until SIGINT/SIGTERM (leaving first, if so
// configured), a leave through the API, or ctx's end (which stops it
// without leaving). SIGHUP reloads.
func runAgent(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg, err := agent.ParseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		if errors.Is(err, agent.ErrConfig) {
			return usageError{err.Error()}
		}
		return errFlags
	}
	a, err := agent.New(cfg, env.Stderr)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := a.Start(ctx); err != nil {
		if errors.Is(err, agent.ErrConfig) {
			return usageError{err.Error()}
		}
		return err
	}
	n := a.Node().LocalNode()
	fmt.Fprintf(env.Stdout, "ready node=%s gossip=%s http=%s\n", n.ID, n.Addr, a.HTTPAddr())
	leave := false
loop:
	for {
		select {
		case <-ctx.Done(): // the caller stops the agent: no leave, as after a crash
			break loop
		case <-a.Left():
			break loop
		case sig := <-env.Signals:
			if sig == syscall.SIGHUP {
				if err := a.Reload(); err != nil {
					a.Logger().Error("reload failed", "error", err)
				}
				continue
			}
			leave = a.LeaveOnTerminate()
			a.Logger().Info("signal received, shutting down", "signal", sig.String(), "leave", leave)
			break loop
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if leave {
		if err := a.Leave(sctx); err != nil {
			a.Logger().Warn("leave failed", "error", err)
		}
	}
	return a.Shutdown(sctx)
}
