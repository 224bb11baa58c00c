package resp

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/redcon"
)

// Version is the Redis version the server reports (HELLO, INFO), the
// oldest whose command set clients may assume.
const Version = "7.0.0"

// isConnCommand reports whether the server serves name itself.
func isConnCommand(name string) bool {
	switch name {
	case "ping", "echo", "quit", "select", "hello", "client", "command", "config":
		return true
	}
	return false
}

// connCommand serves the commands about the connection itself and
// reports whether name was one.
func (s *Server) connCommand(c redcon.Conn, cl *Client, name string, args [][]byte) bool {
	raw := func(b []byte) { c.WriteRaw(b) }
	switch name {
	case "ping":
		switch len(args) {
		case 1:
			c.WriteString("PONG")
		case 2:
			c.WriteBulk(args[1])
		default:
			c.WriteError(ErrArity(name))
		}
	case "echo":
		if len(args) != 2 {
			c.WriteError(ErrArity(name))
			return true
		}
		c.WriteBulk(args[1])
	case "quit":
		c.WriteString("OK")
		_ = c.Close()
	case "select":
		if len(args) != 2 {
			c.WriteError(ErrArity(name))
		} else if string(args[1]) != "0" {
			c.WriteError("ERR DB index is out of range")
		} else {
			c.WriteString("OK")
		}
	case "hello":
		raw(s.hello(cl, args))
	case "client":
		raw(s.client(cl, args))
	case "command":
		raw(command(args))
	case "config":
		if len(args) >= 3 && strings.EqualFold(string(args[1]), "get") {
			raw(s.configGet(cl.Proto, args[2:]))
		} else {
			c.WriteError("ERR CONFIG subcommand not supported by libgossip-cache")
		}
	default:
		return false
	}
	return true
}

func (s *Server) hello(cl *Client, args [][]byte) []byte {
	proto := cl.Proto
	if len(args) > 1 {
		p, err := strconv.Atoi(string(args[1]))
		if err != nil {
			return AppendError(nil, "ERR Protocol version is not an integer or out of range")
		}
		if p != 2 && p != 3 {
			return AppendError(nil, ErrNoProto)
		}
		proto = p
		for i := 2; i < len(args); i++ {
			switch strings.ToLower(string(args[i])) {
			case "auth":
				if i+2 >= len(args) {
					return AppendError(nil, ErrSyntax)
				}
				i += 2 // no users: any credentials are accepted, as with requirepass unset
			case "setname":
				if i+1 >= len(args) {
					return AppendError(nil, ErrSyntax)
				}
				i++
				cl.Name = string(args[i])
			default:
				return AppendError(nil, ErrSyntax)
			}
		}
	}
	cl.Proto = proto
	b := AppendMap(nil, 7, proto)
	b = AppendBulkString(b, "server")
	b = AppendBulkString(b, "redis")
	b = AppendBulkString(b, "version")
	b = AppendBulkString(b, Version)
	b = AppendBulkString(b, "proto")
	b = AppendInt(b, int64(proto))
	b = AppendBulkString(b, "id")
	b = AppendInt(b, cl.ID)
	b = AppendBulkString(b, "mode")
	b = AppendBulkString(b, "standalone")
	b = AppendBulkString(b, "role")
	b = AppendBulkString(b, "master")
	b = AppendBulkString(b, "modules")
	return AppendArray(b, 0)
}

func (s *Server) client(cl *Client, args [][]byte) []byte {
	if len(args) < 2 {
		return AppendError(nil, ErrArity("client"))
	}
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "setname" && len(args) == 3:
		if strings.ContainsAny(string(args[2]), " \n\r") {
			return AppendError(nil, "ERR Client names cannot contain spaces, newlines or special characters.")
		}
		cl.Name = string(args[2])
		return OK
	case sub == "getname" && len(args) == 2:
		if cl.Name == "" {
			return AppendNull(nil, cl.Proto)
		}
		return AppendBulkString(nil, cl.Name)
	case sub == "id" && len(args) == 2:
		return AppendInt(nil, cl.ID)
	case sub == "info" && len(args) == 2:
		return AppendBulkString(nil, cl.info())
	case sub == "setinfo" && len(args) == 4:
		return OK
	case sub == "setname" || sub == "getname" || sub == "id" || sub == "info" || sub == "setinfo":
		return AppendError(nil, ErrArity("client|"+sub))
	}
	return AppendError(nil, fmt.Sprintf("ERR unknown subcommand '%s'. Try CLIENT HELP.", sanitize(sub)))
}

func (cl *Client) info() string {
	return fmt.Sprintf("id=%d addr=%s name=%s age=%d db=0 resp=%d cmd=client|info\n",
		cl.ID, cl.Addr, cl.Name, int(time.Since(cl.Created).Seconds()), cl.Proto)
}

// configGet answers CONFIG GET for the few settings clients and
// redis-benchmark ask about; other names match nothing.
func (s *Server) configGet(proto int, names [][]byte) []byte {
	known := map[string]string{
		"save":               "",
		"appendonly":         "no",
		"maxclients":         strconv.Itoa(s.lim.MaxClients),
		"timeout":            strconv.Itoa(int(s.lim.IdleTimeout.Seconds())),
		"databases":          "1",
		"proto-max-bulk-len": strconv.Itoa(s.lim.MaxBulk),
	}
	var kv []string
	for _, n := range names {
		k := strings.ToLower(string(n))
		if v, ok := known[k]; ok {
			kv = append(kv, k, v)
		}
	}
	b := AppendMap(nil, len(kv)/2, proto)
	for _, x := range kv {
		b = AppendBulkString(b, x)
	}
	return b
}
