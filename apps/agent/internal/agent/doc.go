// Package agent runs one libgossip member as a long-lived process: a gossip
// Node over the net transport (encryption keyring, label, mutual TLS),
// cluster/bootstrap (seeds, snapshot, rejoin), the replicated cluster/kv,
// cluster/query, a cluster/election lease, monitoring (metrics, dashboard,
// health, logs), event handler scripts, and the HTTP API.
//
// Lifecycle: New (validates; nothing opened), Start, then Leave and
// Shutdown. Reload (SIGHUP) applies the tags, log level and keys of the
// configuration file again. All methods are safe for concurrent use.
//
// The HTTP API binds 127.0.0.1 by default and bounds what a client can make
// the agent do: accepted connections, header size and read time, body size,
// handler time and open event streams (Config's HTTP fields).
package agent
