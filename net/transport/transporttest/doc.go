// Package transporttest checks that a gossip.Transport keeps the
// interface's contract. Transport packages (and wrappers) run Run from
// their tests against a pair of fresh, unstarted transports.
package transporttest
