package gossip

import (
	"fmt"
	"strings"

	"github.com/libgossip/libgossip/gossip/core"
)

// PresetNames returns the names Preset accepts, the default first. The
// caller owns the slice.
func PresetNames() []string { return []string{"lan", "wan", "local"} }

// Preset returns the protocol preset called name: "lan" (LANConfig, also
// for ""), "wan" (WANConfig) or "local" (LocalConfig). Case does not
// matter. Any other name gives an error wrapping ErrUnknownPreset. This is
// the one lookup by name: command-line flags, the C API and the simulator
// all resolve preset names here.
func Preset(name string) (Config, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "lan":
		return core.LANConfig(), nil
	case "wan":
		return core.WANConfig(), nil
	case "local":
		return core.LocalConfig(), nil
	}
	return Config{}, fmt.Errorf("%w %q (want %s)", ErrUnknownPreset, name, strings.Join(PresetNames(), ", "))
}
