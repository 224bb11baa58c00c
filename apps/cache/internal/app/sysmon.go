package app

import (
	"flag"
	"io"
	"strings"
)

// SysmonGODEBUG is the GODEBUG setting with which libgossip-cache keeps
// the Go runtime's monitor thread (sysmon) out of its deep sleep:
// schedtrace at its longest period, 2^31-1 ms (24.8 days).
//
// Why: with every P idle, sysmon sleeps until the next system call wakes
// it, and a woken sysmon polls every 20 µs for the next millisecond or
// so. A cache node in a cluster goes idle and busy again thousands of
// times a second (it waits on its peers between requests), and each
// time its sysmon thread is woken and spins anew; on a 2-CPU VM that
// took about a third of the cluster's throughput (README: "The Go
// runtime's monitor thread"). With schedtrace set, the runtime never
// puts sysmon in that sleep (a schedtrace must be printed on time), and
// sysmon backs off to one wake-up per 10 ms once nothing needs it.
//
// The cost: about 100 wake-ups a second on an idle node, and the runtime
// writes one line of scheduler counters to standard error per period,
// the first once the host has been up that long.
const SysmonGODEBUG = "schedtrace=2147483647"

// RuntimeEnv returns the environment this process should run in, and
// whether that differs from environ so that the program should execute
// itself again with it (the runtime reads GODEBUG's schedtrace only at
// start). It adds SysmonGODEBUG to GODEBUG unless -sysmon-awake=false is
// among args or GODEBUG already sets schedtrace. Args that do not parse
// change nothing (Run reports them).
func RuntimeEnv(args, environ []string) ([]string, bool) {
	fs, o := newFlags(io.Discard)
	if fs.Parse(args) != nil || !o.sysmonAwake {
		return environ, false
	}
	env := make([]string, 0, len(environ)+1)
	found := false
	for _, kv := range environ {
		v, ok := strings.CutPrefix(kv, "GODEBUG=")
		if !ok {
			env = append(env, kv)
			continue
		}
		if found {
			continue // the runtime reads the first; keep that one
		}
		found = true
		for _, f := range strings.Split(v, ",") {
			if strings.HasPrefix(strings.TrimSpace(f), "schedtrace=") {
				return environ, false // the user's choice
			}
		}
		if v != "" {
			v += ","
		}
		env = append(env, "GODEBUG="+v+SysmonGODEBUG)
	}
	if !found {
		env = append(env, "GODEBUG="+SysmonGODEBUG)
	}
	return env, true
}

// sysmonFlag defines -sysmon-awake on fs.
func sysmonFlag(fs *flag.FlagSet, v *bool) {
	fs.BoolVar(v, "sysmon-awake", true, "keep the Go runtime's monitor thread out of deep sleep (GODEBUG "+SysmonGODEBUG+"; the program executes itself again with it at start unless GODEBUG sets schedtrace)")
}
