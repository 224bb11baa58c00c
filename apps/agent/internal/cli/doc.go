// Package cli is the libgossip command line: the agent command and the
// subcommands that talk to a running agent over its HTTP API. Main returns
// the exit code: 0 on success, 1 when the agent is unreachable or answers
// with an error ("libgossip: error: ..." on stderr), 2 for a bad command
// line ("libgossip: usage: ..."). See docs/agent.md.
package cli
