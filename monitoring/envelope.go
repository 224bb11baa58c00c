package monitoring

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/libgossip/libgossip/gossip"
)

// ErrEnvelope reports a broadcast payload that starts like a trace envelope
// but is not a valid one.
var ErrEnvelope = errors.New("monitoring: malformed trace envelope")

// The envelope: magic, version, uvarint-prefixed traceparent and tracestate
// (W3C Trace Context), then the user's payload unchanged.
const (
	envelopeMagic   = "\x00LGT"
	envelopeVersion = 1
	maxTraceparent  = 128
	maxTracestate   = 512
)

var propagator = propagation.TraceContext{}

// Wrap returns payload with the span context of ctx in front, for a user
// broadcast that receivers open with Unwrap or Open. When ctx carries no
// valid span, payload is returned as it is (unless it happens to start with
// the envelope's magic bytes, in which case it is wrapped with an empty
// context so that receivers read it back intact).
func Wrap(ctx context.Context, payload []byte) []byte {
	carrier := propagation.MapCarrier{}
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagator.Inject(ctx, carrier)
	}
	tp, ts := carrier["traceparent"], carrier["tracestate"]
	if tp == "" && !bytes.HasPrefix(payload, []byte(envelopeMagic)) {
		return payload
	}
	out := make([]byte, 0, len(envelopeMagic)+1+2*binary.MaxVarintLen16+len(tp)+len(ts)+len(payload))
	out = append(out, envelopeMagic...)
	out = append(out, envelopeVersion)
	out = binary.AppendUvarint(out, uint64(len(tp)))
	out = append(out, tp...)
	out = binary.AppendUvarint(out, uint64(len(ts)))
	out = append(out, ts...)
	return append(out, payload...)
}

// Unwrap splits a received broadcast payload into the sender's span context
// and the user's payload. A payload without an envelope comes back whole
// with an invalid span context and no error. A payload that starts with the
// envelope's magic but does not parse returns an error wrapping ErrEnvelope.
// The returned payload aliases b.
func Unwrap(b []byte) (trace.SpanContext, []byte, error) {
	if !bytes.HasPrefix(b, []byte(envelopeMagic)) {
		return trace.SpanContext{}, b, nil
	}
	rest := b[len(envelopeMagic):]
	if len(rest) == 0 || rest[0] != envelopeVersion {
		return trace.SpanContext{}, nil, fmt.Errorf("%w: unknown version", ErrEnvelope)
	}
	rest = rest[1:]
	tp, rest, err := field(rest, maxTraceparent)
	if err != nil {
		return trace.SpanContext{}, nil, fmt.Errorf("%w: traceparent: %w", ErrEnvelope, err)
	}
	ts, rest, err := field(rest, maxTracestate)
	if err != nil {
		return trace.SpanContext{}, nil, fmt.Errorf("%w: tracestate: %w", ErrEnvelope, err)
	}
	if tp == "" {
		return trace.SpanContext{}, rest, nil
	}
	sc := parseTraceparent(tp, ts)
	if !sc.IsValid() {
		return trace.SpanContext{}, nil, fmt.Errorf("%w: invalid traceparent %q", ErrEnvelope, tp)
	}
	return sc, rest, nil
}

// Open is Unwrap for a receiver that goes on tracing: it returns ctx carrying
// the sender's span as remote parent (ctx itself when there is none) and the
// user's payload.
func Open(ctx context.Context, b []byte) (context.Context, []byte, error) {
	sc, payload, err := Unwrap(b)
	if err != nil {
		return ctx, nil, err
	}
	if sc.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return ctx, payload, nil
}

// Broadcast sends payload to every member of node's cluster with the span
// context of ctx in front (see Wrap), so that receivers can continue the
// trace. It starts no span itself; Monitor.Broadcast does.
func Broadcast(ctx context.Context, node *gossip.Node, payload []byte) error {
	return node.Broadcast(Wrap(ctx, payload))
}

func field(b []byte, max int) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return "", nil, errors.New("bad length")
	}
	if n > uint64(max) || n > uint64(len(b)-k) {
		return "", nil, fmt.Errorf("length %d over limit or input", n)
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func parseTraceparent(tp, ts string) trace.SpanContext {
	carrier := propagation.MapCarrier{"traceparent": tp}
	if ts != "" {
		carrier["tracestate"] = ts
	}
	return trace.SpanContextFromContext(propagator.Extract(context.Background(), carrier))
}
