package gossip

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/gossip/core"
)

// Runtime defaults. The protocol's own settings (intervals, timeouts,
// fanout) are in Config; these are the runtime's, set with options.
const (
	// DefaultStreamTimeout bounds dialing, writing and reading one stream
	// frame (WithStreamTimeout).
	DefaultStreamTimeout = 10 * time.Second
	// DefaultJoinTimeout bounds how long Join waits for a seed's state
	// (WithJoinTimeout).
	DefaultJoinTimeout = 5 * time.Second
	// DefaultSendQueue is the number of messages queued per destination
	// (WithSendQueue).
	DefaultSendQueue = 64
	// DefaultSendMaxAge is how long a queued message stays worth sending
	// (WithSendQueue).
	DefaultSendMaxAge = 2 * time.Second
	// DefaultSenders is the number of destinations written to at once
	// (WithSenders).
	DefaultSenders = 64
	// DefaultLosslessLimit is the bound of a lossless subscription's queue
	// (Lossless with limit <= 0).
	DefaultLosslessLimit = 65536
	// DefaultSubscribeBuffer is the number of events a subscription holds
	// for its reader (Subscribe with buffer <= 0).
	DefaultSubscribeBuffer = 256
	// SubscribeChannelBuffer is the most events a default-mode
	// subscription's channel buffers; the rest of its buffer is a queue
	// that takes memory only while its reader lags (Subscribe).
	SubscribeChannelBuffer = 16
)

// options holds every runtime setting; all defaults are in defaultOptions.
type options struct {
	log       *slog.Logger
	codec     Codec
	onError   func(error)
	clock     Clock
	streamIO  time.Duration
	join      time.Duration
	sendQueue int
	sendAge   time.Duration
	senders   int
}

func defaultOptions() options {
	return options{
		codec:     BinaryCodec{},
		clock:     SystemClock{},
		streamIO:  DefaultStreamTimeout,
		join:      DefaultJoinTimeout,
		sendQueue: DefaultSendQueue,
		sendAge:   DefaultSendMaxAge,
		senders:   DefaultSenders,
	}
}

func (o *options) validate() error {
	switch {
	case o.streamIO <= 0:
		return fmt.Errorf("%w: stream timeout must be positive (got %v)", core.ErrConfig, o.streamIO)
	case o.join <= 0:
		return fmt.Errorf("%w: join timeout must be positive (got %v)", core.ErrConfig, o.join)
	case o.sendQueue < 1:
		return fmt.Errorf("%w: send queue must hold at least 1 message (got %d)", core.ErrConfig, o.sendQueue)
	case o.sendAge <= 0:
		return fmt.Errorf("%w: send max age must be positive (got %v)", core.ErrConfig, o.sendAge)
	case o.senders < 1:
		return fmt.Errorf("%w: senders must be at least 1 (got %d)", core.ErrConfig, o.senders)
	}
	return nil
}

// Option configures a Node's runtime (New). The protocol is configured by
// Config; each setting has exactly one of the two as its owner. The packet
// size is the Transport's (Config.PacketSize is ignored by a Node).
type Option func(*options)

// WithLogger sets the logger. Default slog.Default(), with
// component=gossip and node_id attached.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithCodec sets the codec every packet and stream is encoded with.
// Default BinaryCodec. All members of a cluster must use the same codec.
func WithCodec(c Codec) Option { return func(o *options) { o.codec = c } }

// WithErrorHandler receives background errors (failed sends, undecodable
// input). It is called from the Node's goroutines and must not block.
// Default: log at Debug.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// WithStreamTimeout bounds dialing, writing and reading one stream frame.
// Default DefaultStreamTimeout (10s); must be positive.
func WithStreamTimeout(d time.Duration) Option { return func(o *options) { o.streamIO = d } }

// WithJoinTimeout bounds a Join: when no seed has sent its state within d,
// Join returns an error wrapping ErrJoin and the likely cause, whatever
// its context. Default DefaultJoinTimeout (5s); must be positive.
func WithJoinTimeout(d time.Duration) Option { return func(o *options) { o.join = d } }

// WithClock sets the Node's time source. Default SystemClock. Tests may
// run Nodes under testing/synctest with the default clock, or bring their
// own.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithSendQueue bounds the outbound queue of each destination: at most n
// messages (default DefaultSendQueue, 64; the oldest is dropped when full)
// and at most maxAge old when its turn comes (default DefaultSendMaxAge,
// 2s; older ones are dropped). Drops are counted in Stats. Zero keeps a
// default.
func WithSendQueue(n int, maxAge time.Duration) Option {
	return func(o *options) {
		if n != 0 {
			o.sendQueue = n
		}
		if maxAge != 0 {
			o.sendAge = maxAge
		}
	}
}

// WithSenders sets how many destinations may be written to at the same
// time (default DefaultSenders, 64). A destination whose writes block
// holds up to two senders (one for packets, one for streams) until its
// writes time out (packets after the queues' age, WithSendQueue; streams
// after WithStreamTimeout); the others keep going.
func WithSenders(n int) Option { return func(o *options) { o.senders = n } }
