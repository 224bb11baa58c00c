package resp

import "strings"

// CommandInfo describes a command as COMMAND reports it: Redis's arity
// (negative: at least -Arity arguments, name included), flags and key
// positions.
type CommandInfo struct {
	Name              string
	Arity             int
	Flags             []string
	First, Last, Step int
}

// Commands lists every command the server knows, connection commands
// included.
var Commands = []CommandInfo{
	{"append", 3, []string{"write"}, 1, 1, 1},
	{"client", -2, []string{"admin"}, 0, 0, 0},
	{"command", -1, []string{"loading"}, 0, 0, 0},
	{"config", -2, []string{"admin"}, 0, 0, 0},
	{"dbsize", 1, []string{"readonly"}, 0, 0, 0},
	{"decr", 2, []string{"write"}, 1, 1, 1},
	{"decrby", 3, []string{"write"}, 1, 1, 1},
	{"del", -2, []string{"write"}, 1, -1, 1},
	{"echo", 2, []string{"fast"}, 0, 0, 0},
	{"exists", -2, []string{"readonly"}, 1, -1, 1},
	{"expire", -3, []string{"write"}, 1, 1, 1},
	{"flushall", -1, []string{"write"}, 0, 0, 0},
	{"flushdb", -1, []string{"write"}, 0, 0, 0},
	{"get", 2, []string{"readonly"}, 1, 1, 1},
	{"getdel", 2, []string{"write"}, 1, 1, 1},
	{"hello", -1, []string{"fast"}, 0, 0, 0},
	{"incr", 2, []string{"write"}, 1, 1, 1},
	{"incrby", 3, []string{"write"}, 1, 1, 1},
	{"info", -1, []string{"loading"}, 0, 0, 0},
	{"keys", 2, []string{"readonly"}, 0, 0, 0},
	{"mget", -2, []string{"readonly"}, 1, -1, 1},
	{"mset", -3, []string{"write"}, 1, -1, 2},
	{"pexpire", -3, []string{"write"}, 1, 1, 1},
	{"ping", -1, []string{"fast"}, 0, 0, 0},
	{"psetex", 4, []string{"write"}, 1, 1, 1},
	{"pttl", 2, []string{"readonly"}, 1, 1, 1},
	{"quit", -1, []string{"fast"}, 0, 0, 0},
	{"scan", -2, []string{"readonly"}, 0, 0, 0},
	{"select", 2, []string{"fast"}, 0, 0, 0},
	{"set", -3, []string{"write"}, 1, 1, 1},
	{"setex", 4, []string{"write"}, 1, 1, 1},
	{"setnx", 3, []string{"write"}, 1, 1, 1},
	{"strlen", 2, []string{"readonly"}, 1, 1, 1},
	{"ttl", 2, []string{"readonly"}, 1, 1, 1},
}

func appendCommandInfo(b []byte, c CommandInfo) []byte {
	b = AppendArray(b, 6)
	b = AppendBulkString(b, c.Name)
	b = AppendInt(b, int64(c.Arity))
	b = AppendArray(b, len(c.Flags))
	for _, f := range c.Flags {
		b = AppendSimple(b, f)
	}
	b = AppendInt(b, int64(c.First))
	b = AppendInt(b, int64(c.Last))
	return AppendInt(b, int64(c.Step))
}

// command serves COMMAND, COMMAND COUNT, COMMAND INFO and COMMAND DOCS
// (empty: redis-cli only uses it for hints).
func command(args [][]byte) []byte {
	if len(args) == 1 {
		b := AppendArray(nil, len(Commands))
		for _, c := range Commands {
			b = appendCommandInfo(b, c)
		}
		return b
	}
	switch strings.ToLower(string(args[1])) {
	case "count":
		return AppendInt(nil, int64(len(Commands)))
	case "docs":
		return AppendArray(nil, 0)
	case "info":
		b := AppendArray(nil, len(args)-2)
		for _, a := range args[2:] {
			found := false
			for _, c := range Commands {
				if strings.EqualFold(c.Name, string(a)) {
					b, found = appendCommandInfo(b, c), true
					break
				}
			}
			if !found {
				b = AppendNullArray(b, 2)
			}
		}
		return b
	}
	return AppendError(nil, "ERR unknown subcommand '"+sanitize(string(args[1]))+"'. Try COMMAND HELP.")
}

// known maps each command's lower-case name to itself.
var known = func() map[string]string {
	m := make(map[string]string, len(Commands))
	for _, c := range Commands {
		m[c.Name] = c.Name
	}
	return m
}()

// Name returns the lower-case form of a command name; for the commands
// in Commands it does not allocate.
func Name(b []byte) string {
	if len(b) == 3 && b[1]|0x20 == 'e' && b[2]|0x20 == 't' {
		switch b[0] | 0x20 {
		case 'g':
			return "get"
		case 's':
			return "set"
		}
	}
	var buf [16]byte
	if len(b) <= len(buf) {
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if s, ok := known[string(buf[:len(b)])]; ok {
			return s
		}
	}
	return strings.ToLower(string(b))
}
