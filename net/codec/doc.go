// Package codec picks a gossip.Codec by name. The binary codec of package
// gossip is the default; "json" (package json beside this one) is the
// alternative for debugging and interop. Every member of a cluster must use
// the same codec.
package codec
