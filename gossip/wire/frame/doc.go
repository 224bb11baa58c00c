// Package frame is libgossip's stream framing, its one home: a frame is a
// 4-byte big-endian length followed by that many bytes. Frames carry the
// Node's messages on streams and the TCP transport's packets.
//
// Read bounds a frame by a limit (MaxSize by default) and allocates only as
// the frame's bytes arrive, so a peer cannot make a reader reserve memory by
// sending a header alone. It lives beside the wire codec rather than inside
// it because it reads and writes: the codec itself stays pure.
package frame
