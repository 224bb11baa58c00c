package node

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("node: invalid config")

// Config configures a Node. Zero fields mean the documented defaults.
type Config struct {
	// ID is the member id. Default: "cache-" and the gossip address.
	ID string
	// GossipAddr is the gossip (hybrid UDP/TCP) listen address.
	// Default "127.0.0.1:0".
	GossipAddr string
	// RESPAddr is the Redis protocol listen address. Default "127.0.0.1:0".
	RESPAddr string
	// PeerAddr is the internal listen address. Default "127.0.0.1:0".
	PeerAddr string
	// HTTPAddr is the HTTP API listen address; "" means no HTTP server.
	HTTPAddr string
	// HTTPMaxConns bounds the HTTP connections open at once; further
	// clients wait to be accepted. Default 1,024.
	HTTPMaxConns int
	// HTTPTimeout bounds reading one HTTP request (headers within at most
	// 10 s) and writing its response; an idle keep-alive connection is
	// closed after twice this. Default 30s.
	HTTPTimeout time.Duration
	// Advertise is the host other members use for this node's internal
	// and RESP ports when a listener binds a wildcard address. Default:
	// the listener's host.
	Advertise string
	// Seeds are gossip addresses of members to join. Empty: start alone.
	Seeds []string
	// Secret authenticates internal connections; every member must have
	// the same. Default "" (an empty key: membership is still checked).
	Secret string
	// Preset is the gossip protocol preset: "lan", "wan" or "local".
	// Default "lan".
	Preset string
	// Replicas is the replication factor R. Default 2.
	Replicas int
	// WriteAcks is W, the replicas that must have a write before it is
	// acknowledged, capped at the live members. Default Replicas.
	WriteAcks int
	// MaxBytes bounds the local store in bytes. Default 256 MiB.
	MaxBytes int64
	// Limits bound clients (see resp.Limits).
	Limits resp.Limits
	// RebalanceRate bounds keys pushed per second to each member while
	// rebalancing. Default 50,000.
	RebalanceRate float64
	// RequestTimeout bounds one internal request. Default 2s.
	RequestTimeout time.Duration
	// SettleTime is how long after a membership change reads consult
	// every replica. Default 10s.
	SettleTime time.Duration
	// MaxHints bounds the keys remembered for replicas that missed
	// writes. Default 1,000,000.
	MaxHints int
	// KeysLimit bounds the keys KEYS returns. Default 100,000.
	KeysLimit int
	// Logger receives the node's logs. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	str := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	str(&c.GossipAddr, "127.0.0.1:0")
	str(&c.RESPAddr, "127.0.0.1:0")
	str(&c.PeerAddr, "127.0.0.1:0")
	str(&c.Preset, "lan")
	if c.Replicas == 0 {
		c.Replicas = 2
	}
	if c.WriteAcks == 0 {
		c.WriteAcks = c.Replicas
	}
	if c.Replicas < 1 || c.WriteAcks < 1 || c.WriteAcks > c.Replicas {
		return c, fmt.Errorf("%w: need 1 <= WriteAcks (%d) <= Replicas (%d)", ErrConfig, c.WriteAcks, c.Replicas)
	}
	if c.MaxBytes < 0 || c.HTTPMaxConns < 0 || c.HTTPTimeout < 0 || c.RebalanceRate < 0 || c.RequestTimeout < 0 || c.SettleTime < 0 || c.MaxHints < 0 || c.KeysLimit < 0 {
		return c, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	if c.HTTPMaxConns == 0 {
		c.HTTPMaxConns = 1024
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = 30 * time.Second
	}
	if c.RebalanceRate == 0 {
		c.RebalanceRate = 50000
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 2 * time.Second
	}
	if c.SettleTime == 0 {
		c.SettleTime = 10 * time.Second
	}
	if c.MaxHints == 0 {
		c.MaxHints = 1000000
	}
	if c.KeysLimit == 0 {
		c.KeysLimit = 100000
	}
	c.Limits = c.Limits.WithDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
