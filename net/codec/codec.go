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
