// Package frame reads and writes length-prefixed frames: a 4-byte
// big-endian length followed by that many bytes.
package frame
