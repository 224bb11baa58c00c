// Package json is a gossip.Codec that writes protocol messages as JSON, for
// debugging and for interoperating with tools that do not speak the binary
// format. Every member of a cluster must use the same codec.
//
// A packet is one JSON object:
//
//	{"v":1,"msgs":[{"type":"ping","seq":7,"source":"n1","target":"n2"}, ...]}
//
// Field names are the lower_snake_case of the wire package's fields;
// metadata is an object of strings; a user payload is base64; member states
// are their names ("alive", "suspect", "dead", "left"). Decode rejects a
// version other than Version with an error wrapping wire.ErrVersion, and
// anything else that is not a valid packet (unknown fields included) with
// one wrapping wire.ErrMalformed or wire.ErrTooLarge. Encode rejects ids,
// addresses and metadata that are not valid UTF-8 (wire.ErrMalformed),
// since JSON cannot carry them unchanged. Decoded messages keep
// the bounds of package wire, so re-encoding them in binary always works.
package json
