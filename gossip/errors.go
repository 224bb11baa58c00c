package gossip

import (
	"errors"

	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// Errors returned by Node methods. Test them with errors.Is.
var (
	// ErrNotRunning is returned by calls that need a started Node that has
	// not been shut down. ErrShutdown matches it too.
	ErrNotRunning = errors.New("gossip: node not running")
	// ErrStarted is returned by a second Start of a running Node.
	ErrStarted = errors.New("gossip: node already started")
	// ErrShutdown is returned by Start and by every call that needs a
	// running Node once Shutdown has been called. errors.Is(ErrShutdown,
	// ErrNotRunning) is true, so callers that only check ErrNotRunning
	// keep working.
	ErrShutdown error = shutdownError{}

	// ErrJoin is wrapped by every error Join returns; the cause is wrapped
	// beside it (ErrJoinTimeout, ErrJoinRefused, ErrJoinSelf, ErrAuth,
	// ErrLabel, a dial error, or the context's error).
	ErrJoin = errors.New("gossip: join failed")
	// ErrJoinTimeout reports seeds that accepted the join but sent no
	// state within the join timeout (WithJoinTimeout). Likely causes: the
	// seed uses another encryption key or cluster label and drops what it
	// cannot authenticate, the address is another TCP service, or the
	// address is this node's own.
	ErrJoinTimeout = errors.New("gossip: no state from any seed within the join timeout")
	// ErrJoinRefused reports a seed that closed the join stream without
	// sending state: most often it refused our key or cluster label.
	ErrJoinRefused = errors.New("gossip: seed closed the join stream without answering")
	// ErrJoinSelf reports a Join whose only seeds are this node's own
	// address (as given, or spelled otherwise: the node received its own
	// join request).
	ErrJoinSelf = errors.New("gossip: the only seed is this node's own address")
	// ErrAuth reports a peer that failed authentication. Transports and
	// their security middleware wrap it so that Join can say why a seed
	// was refused.
	ErrAuth = errors.New("gossip: peer failed authentication")
	// ErrLabel reports a peer that belongs to another cluster (its cluster
	// label differs). Transports wrap it like ErrAuth.
	ErrLabel = errors.New("gossip: peer has another cluster label")

	// ErrMetaTooLarge is returned by SetMeta (and New, for Config.Meta)
	// when the encoded metadata exceeds Config.MaxMetaSize.
	ErrMetaTooLarge = errors.New("gossip: metadata too large")
	// ErrMetaInvalid is returned by SetMeta for metadata that cannot be
	// encoded at all: an empty key or a key over 255 bytes.
	ErrMetaInvalid = errors.New("gossip: invalid metadata")

	// ErrFrameTooLarge reports a stream frame over MaxStreamFrame.
	ErrFrameTooLarge = frame.ErrTooLarge

	// ErrSubscriberTooSlow is reported by Subscription.Err when a lossless
	// subscription fell more than its bound behind and was closed.
	ErrSubscriberTooSlow = errors.New("gossip: lossless subscriber fell too far behind")
	// ErrUnknownPreset is returned by Preset for a name it does not know.
	ErrUnknownPreset = errors.New("gossip: unknown preset")
)

type shutdownError struct{}

func (shutdownError) Error() string        { return "gossip: node shut down" }
func (shutdownError) Is(target error) bool { return target == ErrNotRunning }
