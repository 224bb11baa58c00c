// Package resp is the cache's client-facing Redis protocol (RESP2 and
// RESP3) server, built on github.com/tidwall/redcon.
//
// The server handles connection commands itself (PING, ECHO, HELLO,
// CLIENT, COMMAND, SELECT, QUIT) and hands every other command to an
// Executor, which returns the encoded reply. Replies are encoded with the
// Append functions in reply.go, in the protocol version the client chose
// with HELLO.
//
// redcon accepts the clients, parses each one's first command, keeps
// the open connections (closing them when the server closes) and
// buffers the replies. On the first command the server detaches the
// connection from redcon's serving loop and reads the rest of the input
// with its own reader, which parses commands in place (redcon's copies
// each command into fresh memory) and finds the same commands and
// protocol errors as redcon's (FuzzReader). Until then, the connection
// hands redcon its input one complete command at a time, so no input is
// left inside redcon when the reader takes over.
//
// Hostile input is bounded before it is parsed: a guard in front of
// each connection checks every multibulk count, bulk length and inline
// line against Limits and answers a violation with Redis's protocol error
// before closing the connection, so no client can make the server
// allocate more than about MaxQuery bytes. Writes to a client that does
// not read time out (Limits.WriteTimeout) and close the connection; the
// reply buffer is flushed once it passes Limits.MaxOutput.
package resp
