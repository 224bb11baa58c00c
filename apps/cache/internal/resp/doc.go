// Package resp is the cache's client-facing Redis protocol (RESP2 and
// RESP3) server, built on github.com/tidwall/redcon.
//
// The server handles connection commands itself (PING, ECHO, HELLO,
// CLIENT, COMMAND, SELECT, QUIT) and hands every other command to an
// Executor, which returns the encoded reply. Replies are encoded with the
// Append functions in reply.go, in the protocol version the client chose
// with HELLO.
//
// Hostile input is bounded before redcon parses it: a guard in front of
// each connection checks every multibulk count, bulk length and inline
// line against Limits and answers a violation with Redis's protocol error
// before closing the connection, so no client can make the server
// allocate more than about MaxQuery bytes. Writes to a client that does
// not read time out (Limits.WriteTimeout) and close the connection; the
// reply buffer is flushed once it passes Limits.MaxOutput.
package resp
