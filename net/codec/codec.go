// Package codec picks a gossip.Codec by name. The binary codec of package
// gossip is the default; "json" (package json beside this one) is the
// alternative for debugging and interop. Every member of a cluster must use
// the same codec.
package codec

import (
	"errors"
	"fmt"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/codec/json"
)

// ErrUnknown reports a codec name Lookup does not know.
var ErrUnknown = errors.New("net/codec: unknown codec")

// Names lists the codecs Lookup knows, default first.
func Names() []string { return []string{"binary", "json"} }

// Lookup returns the codec called name ("binary" or "json"; "" means
// "binary").
func Lookup(name string) (gossip.Codec, error) {
	switch name {
	case "", "binary":
		return gossip.BinaryCodec{}, nil
	case "json":
		return json.Codec{}, nil
	}
	return nil, fmt.Errorf("%w: %q (known: %v)", ErrUnknown, name, Names())
}
