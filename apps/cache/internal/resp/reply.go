package resp

import (
	"errors"
	"strconv"
	"strings"
)

// AppendNull appends a null reply in protocol version proto.
func AppendNull(b []byte, proto int) []byte {
	if proto == 3 {
		return append(b, "_\r\n"...)
	}
	return append(b, "$-1\r\n"...)
}

// AppendNullArray appends a null array reply (RESP2 *-1).
func AppendNullArray(b []byte, proto int) []byte {
	if proto == 3 {
		return append(b, "_\r\n"...)
	}
	return append(b, "*-1\r\n"...)
}

// AppendBulk appends a bulk string.
func AppendBulk(b, v []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, '\r', '\n')
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// AppendBulkString appends a bulk string.
func AppendBulkString(b []byte, v string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, '\r', '\n')
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// AppendInt appends an integer reply.
func AppendInt(b []byte, n int64) []byte {
	b = append(b, ':')
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

// AppendError appends an error reply; msg starts with the error code
// ("ERR ...", "WRONGTYPE ...") and must not contain CR or LF.
func AppendError(b []byte, msg string) []byte {
	b = append(b, '-')
	b = append(b, msg...)
	return append(b, '\r', '\n')
}

// AppendSimple appends a simple string ("+OK").
func AppendSimple(b []byte, s string) []byte {
	b = append(b, '+')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendArray appends an array header of n elements.
func AppendArray(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendMap appends a map header of n pairs: a RESP3 map, or in RESP2 an
// array of 2n elements.
func AppendMap(b []byte, n int, proto int) []byte {
	if proto == 3 {
		b = append(b, '%')
		b = strconv.AppendInt(b, int64(n), 10)
		return append(b, '\r', '\n')
	}
	return AppendArray(b, 2*n)
}

// OK is the "+OK" reply.
var OK = []byte("+OK\r\n")

// Error texts in Redis's wording.
const (
	ErrSyntax     = "ERR syntax error"
	ErrNotInteger = "ERR value is not an integer or out of range"
	ErrOverflow   = "ERR increment or decrement would overflow"
	ErrNoReplicas = "NOREPLICAS Not enough good replicas to write."
	ErrNoProto    = "NOPROTO unsupported protocol version"
)

// ErrArity is Redis's error for a wrong argument count of cmd.
func ErrArity(cmd string) string {
	return "ERR wrong number of arguments for '" + cmd + "' command"
}

// ErrUnknown is Redis's error for an unknown command with its first
// arguments.
func ErrUnknown(cmd string, args [][]byte) string {
	s := "ERR unknown command '" + sanitize(cmd) + "', with args beginning with: "
	for i, a := range args {
		if i == 8 {
			break
		}
		s += "'" + sanitize(string(a)) + "' "
	}
	return s
}

// sanitize keeps an error line printable and short.
func sanitize(s string) string {
	if len(s) > 128 {
		s = s[:128]
	}
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = ' '
		}
	}
	return string(b)
}

// ParseBulk returns the value of a reply that is one bulk string.
func ParseBulk(b []byte) ([]byte, error) {
	i := strings.Index(string(b), "\r\n")
	if len(b) == 0 || b[0] != '$' || i < 0 {
		return nil, errors.New("resp: not a bulk reply")
	}
	n, err := strconv.Atoi(string(b[1:i]))
	if err != nil || n < 0 || len(b) != i+2+n+2 {
		return nil, errors.New("resp: malformed bulk reply")
	}
	return b[i+2 : i+2+n], nil
}
